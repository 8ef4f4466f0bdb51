// What the Federation plugin adds for routers, and the client-facing API without it.
import { GraphQLObjectType, GraphQLSchema, isSpecifiedScalarType, lexicographicSortSchema } from 'graphql';

/** The Federation spec the subgraph links; composition and routers read it from the SDL. */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

/** What the subgraph adds for routers; API clients never need it (see withoutRouterFields). */
const ROUTER_FIELDS = new Set(['_entities', '_service']);
const ROUTER_TYPES = new Set(['_Any', '_Entity', '_Service']);

/**
 * The client-facing API: the served schema without the router plumbing (`_entities`, `_service`
 * and their types). `schema/schema.graphql` and codegen describe this.
 */
export function withoutRouterFields(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  if (!query) return schema;
  const queryConfig = query.toConfig();
  const apiQuery = new GraphQLObjectType({
    ...queryConfig,
    fields: Object.fromEntries(
      Object.entries(queryConfig.fields).filter(([name]) => !ROUTER_FIELDS.has(name)),
    ),
  });
  const config = schema.toConfig();
  return lexicographicSortSchema(
    new GraphQLSchema({
      ...config,
      query: apiQuery,
      types: config.types.filter(
        (type) => type !== query && !ROUTER_TYPES.has(type.name) && !isSpecifiedScalarType(type),
      ),
      extensionASTNodes: [],
    }),
  );
}
