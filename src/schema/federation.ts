// What the Federation plugin adds for routers, and the client-facing API without it.
import {
  GraphQLObjectType,
  GraphQLSchema,
  isSpecifiedScalarType,
  isUnionType,
  lexicographicSortSchema,
  type GraphQLError,
  type GraphQLFieldResolver,
} from 'graphql';
import { badUserInput } from '../errors.js';

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

/**
 * Makes `_entities` answer each representation on its own: one that names no entity type of this
 * subgraph (or is no object) is null with one BAD_USER_INPUT error at its own index, and never
 * reaches a resolver, where the Federation library's would fail the whole field for it. Each
 * entity's resolveReference checks its own key (user.ts) and fails only its slot too. Changes the
 * served schema in place, once, after it is built.
 */
export function resolveEntitiesPerRepresentation(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()['_entities'];
  const union = schema.getType('_Entity');
  if (!field?.resolve || !isUnionType(union)) return schema;
  const entities = new Set(union.getTypes().map((type) => type.name));
  const resolveAll = field.resolve as GraphQLFieldResolver<unknown, unknown, { representations: unknown[] }>;
  field.resolve = (source, args: { representations: readonly unknown[] }, context, info) =>
    args.representations.map((representation, index) => {
      const refusal = representationRefusal(representation, index, entities);
      // An Error in a list slot is that slot's error (graphql-js completes list items one by one).
      if (refusal) return refusal;
      try {
        const [resolved] = resolveAll(
          source,
          { representations: [representation] },
          context,
          info,
        ) as unknown[];
        return resolved;
      } catch (error) {
        return error instanceof Error ? error : new Error('entity resolution failed');
      }
    });
  return schema;
}

function representationRefusal(
  representation: unknown,
  index: number,
  entities: ReadonlySet<string>,
): GraphQLError | undefined {
  const argument = `representations[${index}]`;
  if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
    return badUserInput(`${argument} is not an object`, { argument });
  }
  const { __typename: typename } = representation as { __typename?: unknown };
  // The name is never echoed, nor are the served entity types listed: no schema through errors.
  if (typeof typename !== 'string' || !entities.has(typename)) {
    return badUserInput(`${argument}.__typename names no entity type of this subgraph`, {
      argument: `${argument}.__typename`,
    });
  }
  return undefined;
}
