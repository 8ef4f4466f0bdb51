// Writes the printed schemas from the code (npm run schema); test/schema/schema-drift.test.ts fails
// when a committed file differs from what this prints:
// - schema/schema.graphql: the client-facing API (what codegen and clients use);
// - schema/subgraph.graphql: the Federation v2 subgraph SDL (`_service { sdl }`), for composition.
import { writeFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { printSchema } from 'graphql';
import { getApiSchema, getSchema } from '../src/schema/index.js';

const outputs = {
  'schema.graphql': printSchema(getApiSchema()) + '\n',
  'subgraph.graphql': printSubgraphSchema(getSchema()) + '\n',
};
for (const [name, sdl] of Object.entries(outputs)) {
  const target = new URL(`../schema/${name}`, import.meta.url);
  writeFileSync(target, sdl);
  console.log(`wrote ${target.pathname}`);
}
