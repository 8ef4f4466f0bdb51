import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers only look down: server → schema → loaders → auth → cache → upstream. observability/ is
// reached from server/ (plugins) and gateway.ts only, the emulator from main.ts and gateway.ts only;
// the emulator, the client and upstream/ import nothing of the rest. errors.ts, logger.ts, limits.ts
// and config.ts are leaves every layer may import. test/, bench/ and scripts/ may import anything.

/** A pattern for imports of the src/ modules `names` (folders, or files without `.ts`). */
const reaching = (names, from) => `^${from === 'src' ? '\\./' : '\\.\\./'}(${names.join('|')})(/|\\.js$)`;

/** `files` may not import the src/ modules `names`; `from` says where the files sit. */
const boundary = (files, names, message, from = 'folder') => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: reaching(names, from), message }] }] },
});

/** `files` import nothing outside their own folder. */
const closed = (files, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message }] }] },
});

const ENTRIES = ['gateway', 'main', 'cli', 'emulator', 'client'];

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'src/client/generated/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['src/main.ts', 'src/emulator/main.ts', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  boundary(
    ['src/server/**'],
    ENTRIES,
    'server/ imports the layers below it, observability/ and the leaves; gateway.ts wires it',
  ),
  boundary(
    ['src/schema/**'],
    ['server', 'observability', ...ENTRIES],
    'schema/ imports only the layers below it (loaders, auth, cache, upstream) and the leaves',
  ),
  boundary(
    ['src/loaders.ts'],
    ['server', 'schema', 'observability', ...ENTRIES],
    'loaders.ts imports only the layers below it (auth, cache, upstream) and the leaves',
    'src',
  ),
  boundary(
    ['src/auth/**'],
    ['server', 'schema', 'loaders', 'observability', ...ENTRIES],
    'auth/ imports only the layers below it (cache, upstream) and the leaves',
  ),
  boundary(
    ['src/cache/**'],
    ['server', 'schema', 'loaders', 'auth', 'observability', ...ENTRIES],
    'cache/ imports only upstream/ and the leaves',
  ),
  boundary(
    ['src/observability/**'],
    ['server', 'schema', 'loaders', 'auth', 'cache', ...ENTRIES],
    'observability/ sees the upstream through UpstreamEvents only; server/ and gateway.ts use it',
  ),
  closed(
    ['src/upstream/**'],
    'upstream/ is the bottom layer: it imports nothing outside its folder (metrics and tracing hear it through UpstreamEvents)',
  ),
  closed(['src/emulator/**'], 'the emulator imports nothing of the gateway'),
  closed(['src/client/**'], 'the client imports only its generated code'),
  boundary(
    ['src/errors.ts', 'src/config.ts', 'src/config-env.ts', 'src/limits.ts', 'src/logger.ts'],
    ['server', 'schema', 'loaders', 'observability', ...ENTRIES],
    'the leaves (errors, config, limits, logger) import no layer above them, nor the entries',
    'src',
  ),
  {
    // Settings are read and validated once, in config.ts (the emulator's own entry reads its own).
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts', 'src/config-env.ts', 'src/emulator/main.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through loadConfig (src/config.ts)' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value=/^(node:)?process$/] ImportSpecifier[imported.name='env']",
          message: 'Read settings through loadConfig (src/config.ts)',
        },
      ],
    },
  },
);
