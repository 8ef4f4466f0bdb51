// Writes schema/schema.graphql from the code (npm run schema). test/unit/schema-drift.test.ts fails
// when the committed file differs from what this prints.
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { getSchema } from '../src/schema/index.js';

const target = new URL('../schema/schema.graphql', import.meta.url);
writeFileSync(target, printSchema(getSchema()) + '\n');
console.log(`wrote ${target.pathname}`);
