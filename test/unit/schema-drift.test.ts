import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { getSchema } from '../../src/schema/index.js';

describe('schema/schema.graphql', () => {
  it('is exactly what the code prints (run `npm run schema` after changing the schema)', () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchema(getSchema()) + '\n');
  });

  it('describes every type and field', () => {
    const undocumented: string[] = [];
    for (const type of Object.values(getSchema().getTypeMap())) {
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
