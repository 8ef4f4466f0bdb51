import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import type { GraphQLContext } from '../context.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: string; Output: string } };
  DefaultFieldNullability: false;
}>({
  plugins: [ErrorsPlugin],
  // Fields are non-null unless they say otherwise: the upstream contract fixes which keys exist.
  defaultFieldNullability: false,
  errors: { defaultTypes: [] },
});

builder.queryType({ description: 'Reads of the Cisco XDR User API.' });
builder.mutationType({ description: 'Changes through the Cisco XDR User API.' });
