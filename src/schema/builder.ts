import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import FederationPlugin from '@pothos/plugin-federation';
import type { GraphQLContext } from './context.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: string; Output: string } };
  DefaultFieldNullability: false;
}>({
  // Federation last: it must see the resolvers the other plugins wrap.
  plugins: [ErrorsPlugin, DirectivesPlugin, FederationPlugin],
  // Fields are non-null unless they say otherwise: the upstream contract fixes which keys exist.
  defaultFieldNullability: false,
  errors: { defaultTypes: [] },
});

builder.queryType({ description: 'Reads of the Cisco XDR User API.' });
builder.mutationType({ description: 'Changes through the Cisco XDR User API.' });
