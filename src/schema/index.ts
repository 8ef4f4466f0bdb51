import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { FEDERATION_LINK_URL, resolveEntitiesPerRepresentation, withoutRouterFields } from './federation.js';
import './scalars.js';
import './user.js';
import './search-users.js';
import './viewer.js';
import './update-user.js';

let schema: GraphQLSchema | undefined;
let apiSchema: GraphQLSchema | undefined;

/**
 * The schema the gateway serves (built once, sorted so printed SDL is stable): the API plus what
 * makes it a Federation v2 subgraph (`@key` on User, `_entities`, `_service { sdl }`), with each
 * `_entities` representation resolved, or refused, on its own.
 */
export function getSchema(): GraphQLSchema {
  schema ??= resolveEntitiesPerRepresentation(
    lexicographicSortSchema(
      builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK_URL, federationDirectives: ['@key'] }),
    ),
  );
  return schema;
}

/** The client-facing API: the served schema without the router plumbing (schema/schema.graphql). */
export function getApiSchema(): GraphQLSchema {
  apiSchema ??= withoutRouterFields(getSchema());
  return apiSchema;
}
