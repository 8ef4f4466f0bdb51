// jest-light-runner: three worker threads of one node process; each imports src/ and the libraries
// once and runs its files one after another in that module graph, rather than jest's default of a fresh
// vm module registry per file (about 0.85 CPU-s per file that starts a gateway; see test/README.md).
// TypeScript: the workers load it through test/support/ts-hooks.mjs (setupFiles), this parent process
// (the global setup and teardown) through tsx (`node --import tsx` in the "test" script).
// test/support/per-worker.ts gives every test and hook a timeout, which this runner does not.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  runner: 'jest-light-runner',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // One RSA signing key and one generated seed for every emulator the tests start (see the files).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/register-ts.mjs'],
  setupFilesAfterEnv: ['<rootDir>/test/support/per-worker.ts'],
  // Longest files first, on a fresh clone too (see the file).
  testSequencer: '<rootDir>/test/support/sequencer.js',

  // Three workers on two cores. The suite is CPU-bound, but a file that waits on sockets, child
  // processes or a browser leaves its core idle; a third worker fills those waits (one run each: 2
  // workers 65.7 s, 3 workers 62.1 s, 4 workers 62.5 s). A number: jest reads '150%' as 150.
  maxWorkers: Math.ceil(availableParallelism() * 1.5),
};
