import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './user.js';
import './search-users.js';
import './viewer.js';
import './update-user.js';

let schema: GraphQLSchema | undefined;

/** The gateway's schema (built once), sorted so the printed SDL is stable. */
export function getSchema(): GraphQLSchema {
  schema ??= lexicographicSortSchema(builder.toSchema());
  return schema;
}
