import { lintInChild, type LintResults, type LintText } from '../support/lint.js';

// The layer rule of eslint.config.js: server → schema → loaders → auth → cache → upstream, each layer
// importing only those below it; observability/ from server/ and gateway.ts only; the emulator from
// the entries only; settings from config.ts only.
const BOUNDARY_RULES = ['no-restricted-imports', 'no-restricted-properties', 'no-restricted-syntax'];

/** An import whose binding is used, so that only the boundary rules can object. */
const importing = (source: string) => `import { x } from '${source}';\nexport const y = x;\n`;

const MAY_NOT_IMPORT: [string, string][] = [
  ['src/upstream/x.ts', '../schema/builder.js'],
  ['src/upstream/x.ts', '../observability/tracing.js'],
  ['src/upstream/x.ts', '../logger.js'],
  ['src/cache/x.ts', '../auth/caller.js'],
  ['src/auth/x.ts', '../loaders.js'],
  ['src/auth/x.ts', '../schema/context.js'],
  ['src/loaders.ts', './schema/context.js'],
  ['src/schema/x.ts', '../server/request-id.js'],
  ['src/schema/x.ts', '../observability/metrics.js'],
  ['src/observability/x.ts', '../server/request-id.js'],
  ['src/server/x.ts', '../gateway.js'],
  ['src/server/x.ts', '../emulator/seed.js'],
  ['src/emulator/x.ts', '../upstream/types.js'],
  ['src/client/x.ts', '../schema/index.js'],
  ['src/errors.ts', './schema/user.js'],
  ['src/logger.ts', './observability/metrics.js'],
  ['src/config.ts', './server/app.js'],
  ['src/limits.ts', './server/operation-limits.js'],
];

const MAY_IMPORT: [string, string][] = [
  ['src/server/x.ts', '../schema/index.js'],
  ['src/server/x.ts', '../observability/plugin.js'],
  ['src/schema/x.ts', '../loaders.js'],
  ['src/schema/x.ts', '../auth/caller.js'],
  ['src/loaders.ts', './upstream/user-api.js'],
  ['src/auth/x.ts', '../cache/caching-user-api.js'],
  ['src/cache/x.ts', '../upstream/errors.js'],
  ['src/cache/x.ts', '../logger.js'],
  ['src/upstream/x.ts', './errors.js'],
  ['src/observability/x.ts', '../upstream/events.js'],
  ['src/emulator/x.ts', './seed.js'],
  ['src/client/x.ts', './generated/graphql.js'],
  ['src/server/x.ts', '../limits.js'],
  ['src/config.ts', './limits.js'],
  ['src/gateway.ts', './emulator/server.js'],
  ['src/main.ts', './gateway.js'],
  ['test/unit/x.test.ts', '../../src/emulator/server.js'],
];

const READING_ENV: [string, string][] = [
  ['process.env.X', 'export const level = process.env.LOG_LEVEL;\n'],
  ["process.env['X']", "export const level = process.env['LOG_LEVEL'];\n"],
  ['const { env } = process', 'const { env } = process;\nexport const level = env.LOG_LEVEL;\n'],
  [
    "import { env } from 'node:process'",
    "import { env } from 'node:process';\nexport const level = env.LOG_LEVEL;\n",
  ],
];
const ENV_READ = 'export const level = process.env.LOG_LEVEL;\n';

// Every text below, linted at once (with the tree) by the project's own configuration running only the
// boundary rules (the rest is `npm run lint`'s), in a child process: see support/lint-child.mjs.
const TEXTS: LintText[] = [
  ...[...MAY_NOT_IMPORT, ...MAY_IMPORT].map(([filePath, source]) => ({ filePath, code: importing(source) })),
  ...READING_ENV.map(([, code]) => ({ filePath: 'src/observability/x.ts', code })),
  { filePath: 'src/config.ts', code: ENV_READ },
  { filePath: 'src/emulator/main.ts', code: ENV_READ },
];
let results: LintResults;
beforeAll(async () => {
  results = await lintInChild(BOUNDARY_RULES, TEXTS, ['src']);
}, 60_000);

/** The boundary rules that `code` breaks when it sits at `filePath`. */
function broken(filePath: string, code: string): string[] {
  const index = TEXTS.findIndex((text) => text.filePath === filePath && text.code === code);
  return (results.texts[index] ?? ['not linted']).filter(
    (rule) => BOUNDARY_RULES.includes(rule) || rule.startsWith('fatal'),
  );
}

describe('layers only look down', () => {
  it.each(MAY_NOT_IMPORT)('%s may not import %s', (filePath, source) => {
    expect(broken(filePath, importing(source))).toEqual(['no-restricted-imports']);
  });

  it.each(MAY_IMPORT)('%s may import %s', (filePath, source) => {
    expect(broken(filePath, importing(source))).toEqual([]);
  });
});

describe('settings come from config.ts only', () => {
  it.each(READING_ENV)('no other module of src/ reads the environment: %s', (_form, code) => {
    expect(broken('src/observability/x.ts', code)).toHaveLength(1);
  });

  it('config.ts and the emulator’s own entry do', () => {
    expect(broken('src/config.ts', ENV_READ)).toEqual([]);
    expect(broken('src/emulator/main.ts', ENV_READ)).toEqual([]);
  });
});

it('the tree keeps the rule', () => {
  expect(results.files).toEqual([]);
});
