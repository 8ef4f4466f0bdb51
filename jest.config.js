// The tests are TypeScript, loaded by node itself through tsx (`node --import tsx`, see the "test"
// script), and run by jest-light-runner: each worker is one node process that imports src/ and the
// libraries once and runs its files one after another in that module graph, instead of jest's default
// of a fresh vm module registry per file. That registry cost about 0.85 CPU-s per file that starts a
// gateway (compiling some 6.5 MB of JavaScript again), 60–70 of the suite's 180 CPU-s; see test/README.md.
// What a file changes outside its own objects (fake timers, OpenTelemetry's globals) it puts back in afterAll.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
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
  // processes or a browser leaves its core idle; a third worker fills those waits (about 66 s instead of
  // 70 on the 2-core machine; one worker took about 190 s). A number: jest reads '150%' as 150.
  maxWorkers: Math.ceil(availableParallelism() * 1.5),
};
