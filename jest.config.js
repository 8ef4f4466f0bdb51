// Native ESM under jest (node --experimental-vm-modules, see the "test" script): graphql-request 7
// and jose ship ESM only, so the tests load them as ESM rather than transpiling them to CommonJS.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import their siblings as './x.js' (NodeNext); jest resolves those to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // TypeScript is stripped by swc, file by file, as tsconfig's isolatedModules and verbatimModuleSyntax
  // allow (types are checked by `npm run typecheck`); scripts/emit.mjs compiles the same way. With a cold
  // cache, as every fresh clone in CI has, a run took 128 CPU-s with ts-jest and 105 with swc.
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript' },
          target: 'es2022',
          transform: { verbatimModuleSyntax: true },
        },
      },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  // One RSA signing key and one generated seed for every emulator the tests start (see the files).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/per-file.ts'],
  // Longest files first, on a fresh clone too (see the file).
  testSequencer: '<rootDir>/test/support/sequencer.js',

  // Three workers on two cores. The suite is CPU-bound, but a file that waits on sockets, child
  // processes or a browser leaves its core idle; a third worker fills those waits (about 66 s instead of
  // 70 on the 2-core machine; one worker took about 190 s). A number: jest reads '150%' as 150.
  maxWorkers: Math.ceil(availableParallelism() * 1.5),
  // Native ESM under jest keeps every file's modules alive (vm.SourceTextModule is never collected:
  // nodejs/node#59118, jestjs/jest#14605), so a worker's heap grows by 30–50 MB a file and its garbage
  // collection slows with it. A worker past this after a file is replaced: 71 s instead of 75 s.
  workerIdleMemoryLimit: '700MB',
};
