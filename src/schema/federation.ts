// Makes the Pothos-built schema an Apollo Federation v2 subgraph with @apollo/subgraph's own parts
// (the `_entities` resolver, `_service`, the subgraph printer). @pothos/plugin-federation would do
// this, but it imports @pothos/plugin-directives at load time, which is not installed.
import { printSubgraphSchema } from '@apollo/subgraph';
import { EntityType, entitiesField, serviceField } from '@apollo/subgraph/dist/types.js';
import {
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLUnionType,
  Kind,
  isObjectType,
  isSpecifiedScalarType,
  lexicographicSortSchema,
  parse,
  printType,
  type GraphQLResolveInfo,
  type ObjectTypeDefinitionNode,
} from 'graphql';

/** The Federation spec the subgraph links; composition and routers read it from the SDL. */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

/** What this module adds for routers; API clients never need it (see withoutRouterFields). */
const ROUTER_FIELDS = new Set(['_entities', '_service']);
const ROUTER_TYPES = new Set(['_Any', '_Entity', '_Service']);

// A type alias, not an interface: Pothos wants `extensions` assignable to Record<string, unknown>.
type EntityExtensions = {
  federationKey: string;
  apollo: { subgraph: { resolveReference: (...args: never[]) => unknown } };
};

/**
 * `extensions` for an object type that other subgraphs may reference by `key` (a field selection,
 * e.g. "id"). The router sends `_entities` representations `{ __typename, ...key }`, and each one
 * becomes `resolveReference(representation, context)`; null means "no such entity" for that one.
 */
export function entityExtensions<Key, Context>(
  key: string,
  resolveReference: (representation: Key, context: Context, info: GraphQLResolveInfo) => unknown,
): EntityExtensions {
  // @apollo/subgraph's `_entities` resolver looks resolveReference up under this extension.
  return { federationKey: key, apollo: { subgraph: { resolveReference } } };
}

/**
 * The served schema: `schema` plus `@link` to Federation v2, `@key` on every entity type,
 * `Query._entities` (when there are entities) and `Query._service { sdl }`.
 */
export function toSubgraphSchema(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  if (!query) throw new Error('a subgraph needs a Query type');
  const entities = Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && keyOf(type) !== undefined,
  );
  for (const type of entities) {
    // printSubgraphSchema reads directives from AST nodes only; graphql-js types are immutable by
    // contract, but this one belongs to a schema built a moment ago that nothing else holds.
    const definition = parse(printType(type)).definitions[0] as ObjectTypeDefinitionNode;
    type.astNode = { ...definition, directives: [keyDirective(keyOf(type) as string)] };
  }

  let sdl = '';
  const queryConfig = query.toConfig();
  const subgraphQuery: GraphQLObjectType = new GraphQLObjectType({
    ...queryConfig,
    fields: () => ({
      ...queryConfig.fields,
      ...(entities.length > 0 && {
        _entities: {
          ...entitiesField,
          type: new GraphQLNonNull(
            new GraphQLList(new GraphQLUnionType({ ...EntityType.toConfig(), types: entities })),
          ),
        },
      }),
      _service: { ...serviceField, resolve: () => ({ sdl }) },
    }),
  });
  const config = schema.toConfig();
  const subgraph = lexicographicSortSchema(
    new GraphQLSchema({
      ...config,
      query: subgraphQuery,
      types: config.types.filter((type) => type !== query),
      extensionASTNodes: [
        {
          kind: Kind.SCHEMA_EXTENSION,
          directives: [
            {
              kind: Kind.DIRECTIVE,
              name: { kind: Kind.NAME, value: 'link' },
              arguments: [
                stringArgument('url', FEDERATION_LINK_URL),
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: 'import' },
                  value: { kind: Kind.LIST, values: [{ kind: Kind.STRING, value: '@key' }] },
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  sdl = printSubgraphSchema(subgraph);
  return subgraph;
}

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

function keyOf(type: GraphQLObjectType): string | undefined {
  const key = (type.extensions as Partial<EntityExtensions>).federationKey;
  return typeof key === 'string' ? key : undefined;
}

function keyDirective(fields: string) {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'key' },
    arguments: [stringArgument('fields', fields)],
  } as const;
}

function stringArgument(name: string, value: string) {
  return {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: name },
    value: { kind: Kind.STRING, value },
  } as const;
}
