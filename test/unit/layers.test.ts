import { ESLint } from 'eslint';

// The layer rule of eslint.config.js: server → schema → loaders → auth → cache → upstream, each layer
// importing only those below it; observability/ from server/ and gateway.ts only; the emulator from
// the entries only; settings from config.ts only.
const BOUNDARY_RULES = ['no-restricted-imports', 'no-restricted-properties', 'no-restricted-syntax'];

// The project's own configuration, running only the boundary rules (the rest is `npm run lint`'s).
const eslint = new ESLint({ ruleFilter: ({ ruleId }) => BOUNDARY_RULES.includes(ruleId) });

/** The boundary rules that `code` breaks when it sits at `filePath`. */
async function broken(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .map((message) => message.ruleId ?? `fatal: ${message.message}`)
    .filter((rule) => BOUNDARY_RULES.includes(rule) || rule.startsWith('fatal'));
}

/** An import whose binding is used, so that only the boundary rules can object. */
const importing = (source: string) => `import { x } from '${source}';\nexport const y = x;\n`;

describe('layers only look down', () => {
  it.each([
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
  ])('%s may not import %s', async (filePath, source) => {
    expect(await broken(filePath, importing(source))).toEqual(['no-restricted-imports']);
  });

  it.each([
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
  ])('%s may import %s', async (filePath, source) => {
    expect(await broken(filePath, importing(source))).toEqual([]);
  });
});

describe('settings come from config.ts only', () => {
  it.each([
    ['process.env.X', 'export const level = process.env.LOG_LEVEL;\n'],
    ["process.env['X']", "export const level = process.env['LOG_LEVEL'];\n"],
    ['const { env } = process', 'const { env } = process;\nexport const level = env.LOG_LEVEL;\n'],
    [
      "import { env } from 'node:process'",
      "import { env } from 'node:process';\nexport const level = env.LOG_LEVEL;\n",
    ],
  ])('no other module of src/ reads the environment: %s', async (_form, code) => {
    expect(await broken('src/observability/x.ts', code)).toHaveLength(1);
  });

  it('config.ts and the emulator’s own entry do', async () => {
    const code = 'export const level = process.env.LOG_LEVEL;\n';
    expect(await broken('src/config.ts', code)).toEqual([]);
    expect(await broken('src/emulator/main.ts', code)).toEqual([]);
  });
});

it('the tree keeps the rule', async () => {
  const results = await eslint.lintFiles(['src']);
  const violations = results.flatMap((result) =>
    result.messages
      .filter((message) => BOUNDARY_RULES.includes(message.ruleId ?? ''))
      .map((message) => `${result.filePath}:${message.line} ${message.message}`),
  );
  expect(violations).toEqual([]);
}, 60_000);
