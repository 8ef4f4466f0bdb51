import { readFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import {
  graphql,
  isSpecifiedScalarType,
  printSchema,
  printType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { getApiSchema, getSchema } from '../../src/schema/index.js';

const committed = (name: string) => readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8');

describe('schema/schema.graphql', () => {
  it('is exactly what the code prints (run `npm run schema` after changing the schema)', () => {
    expect(committed('schema.graphql')).toBe(printSchema(getApiSchema()) + '\n');
  });

  it('is the served schema less the router plumbing (_entities, _service and their types)', () => {
    const served = getSchema();
    const api = getApiSchema();
    const namedTypes = (schema: GraphQLSchema) =>
      Object.values(schema.getTypeMap())
        .filter((type) => !type.name.startsWith('__') && !isSpecifiedScalarType(type))
        .map((type) => type.name)
        .sort();
    expect(namedTypes(api)).toEqual(
      namedTypes(served).filter((name) => !['_Any', '_Entity', '_Service'].includes(name)),
    );
    for (const name of namedTypes(api).filter((n) => n !== 'Query')) {
      expect(printType(api.getType(name) as GraphQLNamedType)).toBe(
        printType(served.getType(name) as GraphQLNamedType),
      );
    }
    expect(Object.keys(served.getQueryType()?.getFields() ?? {}).sort()).toEqual(
      [...Object.keys(api.getQueryType()?.getFields() ?? {}), '_entities', '_service'].sort(),
    );
    expect(committed('schema.graphql')).not.toMatch(/_entities|_service|_Any|_Entity|_Service/);
  });

  it('describes every type and field', () => {
    const undocumented: string[] = [];
    for (const type of Object.values(getApiSchema().getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name))
        continue;
      if (!type.description) undocumented.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});

describe('schema/subgraph.graphql', () => {
  it('is exactly what the served `_service { sdl }` returns (run `npm run schema` after changes)', async () => {
    const result = await graphql({ schema: getSchema(), source: '{ _service { sdl } }' });
    expect(result.errors).toBeUndefined();
    const sdl = (result.data as { _service: { sdl: string } })._service.sdl;
    expect(committed('subgraph.graphql')).toBe(sdl + '\n');
    expect(committed('subgraph.graphql')).toBe(printSubgraphSchema(getSchema()) + '\n');
  });

  it('links Federation v2 and keys User by id', () => {
    const sdl = committed('subgraph.graphql');
    expect(sdl).toMatch(
      /^extend schema\n {2}@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/,
    );
    expect(sdl).toContain('type User\n  @key(fields: "id")\n{');
    expect(sdl.match(/@key\(/g)).toHaveLength(1);
  });
});
