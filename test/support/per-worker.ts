// Runs once in each test worker before its first file (jest's setupFilesAfterEnv, under
// jest-light-runner: a worker imports src/ once and runs its files one after another in that one
// module graph; see jest.config.js).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ModernFakeTimers } from '@jest/fake-timers';
import { addEventHandler } from 'jest-circus';
import { DEFAULT_SEED, adoptSeedData, generateSeedData } from '../../src/emulator/seed.js';

// The default seed, generated once per run by the emulator's own generator and shared through the
// run's directory (global-setup.ts): the first worker to need it generates it (about 0.1 s of CPU),
// the others read it back in a tenth of that.
const runDir = process.env['JEST_RUN_DIR'];
if (runDir) {
  const file = join(runDir, `seed-${DEFAULT_SEED}.json`);
  if (existsSync(file)) {
    adoptSeedData(DEFAULT_SEED, JSON.parse(readFileSync(file, 'utf8')));
  } else {
    const data = generateSeedData(DEFAULT_SEED);
    // Written beside and renamed: another worker may be reading or writing it at the same moment (the
    // workers are threads of one process: the pid alone does not tell them apart).
    const partial = `${file}.${process.pid}.${threadId}`;
    writeFileSync(partial, JSON.stringify(data));
    renameSync(partial, file);
    adoptSeedData(DEFAULT_SEED, data);
  }
}

// jest-light-runner's `jest` drops the options of `useFakeTimers` (caller-share.test.ts fakes only the
// date) and has no `getTimerCount`: the same @jest/fake-timers, with both.
type TimersConfig = ConstructorParameters<typeof ModernFakeTimers>[0]['config'];
const timers = new ModernFakeTimers({
  global: globalThis,
  config: { fakeTimers: { enableGlobally: true } } as TimersConfig,
});
Object.assign(jest, {
  useFakeTimers: (config?: Parameters<ModernFakeTimers['useFakeTimers']>[0]) => (
    timers.useFakeTimers(config),
    jest
  ),
  useRealTimers: () => (timers.useRealTimers(), jest),
  advanceTimersByTime: (ms: number) => (timers.advanceTimersByTime(ms), jest),
  setSystemTime: (now?: number | Date) => (timers.setSystemTime(now), jest),
  getTimerCount: () => timers.getTimerCount(),
});

// jest-light-runner enforces no timeout at all: a test or hook that never settles would hang the run.
// Every test and hook a file declares gets its own timeout (its third argument, else 30 s; jest's
// testTimeout setting is not read by this runner) as circus records it. The timer is node's own, taken
// before any test can fake timers.
const DEFAULT_TIMEOUT_MS = 30_000;
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;
type Entry = { fn?: (...args: unknown[]) => unknown; timeout?: number; name?: string; type?: string };
const wrapped = new WeakSet<object>();

function timed(entry: Entry | undefined): void {
  const fn = entry?.fn;
  // it.todo has no function; an entry circus refused to add leaves the previous one last.
  if (!entry || typeof fn !== 'function' || wrapped.has(entry)) return;
  wrapped.add(entry);
  const ms = entry.timeout ?? DEFAULT_TIMEOUT_MS;
  const what = entry.type === 'test' ? `"${entry.name}"` : `a ${entry.type} hook`;
  const expire = (fail: (error: Error) => void) => {
    const timer = realSetTimeout(() => fail(new Error(`Exceeded timeout of ${ms} ms for ${what}.`)), ms);
    timer.unref();
    return () => realClearTimeout(timer);
  };
  entry.fn =
    fn.length >= 1
      ? function (this: unknown, done: unknown) {
          const callback = done as (error?: unknown) => void;
          const stop = expire(callback);
          return fn.call(this, (error?: unknown) => (stop(), callback(error)));
        }
      : function (this: unknown) {
          return new Promise((resolve, reject) => {
            const stop = expire(reject);
            Promise.resolve()
              .then(() => fn.call(this))
              .then(
                (value) => (stop(), resolve(value)),
                (error: unknown) => (stop(), reject(error)),
              );
          });
        };
}

addEventHandler((event, state) => {
  const block = state.currentDescribeBlock;
  if (event.name === 'add_test') timed(block.children.at(-1) as Entry | undefined);
  if (event.name === 'add_hook') timed(block.hooks.at(-1) as Entry | undefined);
});
