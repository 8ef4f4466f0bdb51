import { createSemaphore } from '../../src/server/semaphore.js';

// The counter and queue behind MAX_CONCURRENT_OPERATIONS (weight 1 per request) and
// MAX_CONCURRENT_IDS (an operation's users).

/** Enters `semaphore` and records what happened to the entry, by name. */
function recorder() {
  const log: string[] = [];
  const releases = new Map<string, () => void>();
  const enter = (semaphore: ReturnType<typeof createSemaphore>, name: string, weight: number) =>
    semaphore.enter(
      weight,
      (release) => {
        log.push(`start ${name}`);
        releases.set(name, release);
      },
      () => log.push(`refuse ${name}`),
    );
  const release = (name: string) => releases.get(name)?.();
  return { log, enter, release };
}

afterEach(() => jest.useRealTimers());

it('runs what fits at once and queues the rest first come, first served', () => {
  const semaphore = createSemaphore({ capacity: 150, maxQueued: 10, timeoutMs: 1_000 });
  const { log, enter, release } = recorder();
  enter(semaphore, 'a', 100);
  enter(semaphore, 'b', 40);
  enter(semaphore, 'c', 100);
  // d fits beside a and b, but c came first: no light entry overtakes a heavy one.
  enter(semaphore, 'd', 1);
  expect(log).toEqual(['start a', 'start b']);
  expect(semaphore.held).toBe(140);

  release('a');
  expect(log).toEqual(['start a', 'start b', 'start c', 'start d']);
  expect(semaphore.held).toBe(141);
  // A release counts once, however often it is called.
  release('a');
  expect(semaphore.held).toBe(141);
  release('b');
  release('c');
  release('d');
  expect(semaphore.held).toBe(0);
});

it('clamps a weight above the capacity to the capacity, so that it runs alone', () => {
  const semaphore = createSemaphore({ capacity: 10, maxQueued: 10, timeoutMs: 1_000 });
  const { log, enter, release } = recorder();
  enter(semaphore, 'small', 1);
  enter(semaphore, 'huge', 1_000);
  expect(log).toEqual(['start small']);
  release('small');
  expect(log).toEqual(['start small', 'start huge']);
  expect(semaphore.held).toBe(10);
  // A weight below 1 counts as 1.
  enter(semaphore, 'none', 0);
  release('huge');
  expect(semaphore.held).toBe(1);
});

it('refuses at once when the queue is full, or when it may not wait at all', () => {
  const full = createSemaphore({ capacity: 1, maxQueued: 1, timeoutMs: 1_000 });
  const first = recorder();
  first.enter(full, 'a', 1);
  first.enter(full, 'b', 1);
  first.enter(full, 'c', 1);
  expect(first.log).toEqual(['start a', 'refuse c']);
  first.release('a');
  expect(first.log).toEqual(['start a', 'refuse c', 'start b']);

  const noWait = createSemaphore({ capacity: 1, maxQueued: 10, timeoutMs: 0 });
  const second = recorder();
  second.enter(noWait, 'a', 1);
  second.enter(noWait, 'b', 1);
  expect(second.log).toEqual(['start a', 'refuse b']);
});

it('refuses a waiter when its wait times out, and lets the lighter ones behind it in', () => {
  jest.useFakeTimers();
  const semaphore = createSemaphore({ capacity: 10, maxQueued: 10, timeoutMs: 1_000 });
  const { log, enter } = recorder();
  enter(semaphore, 'a', 5);
  enter(semaphore, 'heavy', 10);
  jest.advanceTimersByTime(500);
  enter(semaphore, 'light', 5);
  expect(log).toEqual(['start a']);
  jest.advanceTimersByTime(500);
  expect(log).toEqual(['start a', 'refuse heavy', 'start light']);
  // light started before its own timeout: nothing more happens to it.
  jest.advanceTimersByTime(5_000);
  expect(log).toEqual(['start a', 'refuse heavy', 'start light']);
});

it('cancel gives a waiting place up without a refusal, and is a no-op once started', () => {
  jest.useFakeTimers();
  const semaphore = createSemaphore({ capacity: 10, maxQueued: 10, timeoutMs: 1_000 });
  const { log, enter, release } = recorder();
  const cancelA = enter(semaphore, 'a', 6);
  const cancelB = enter(semaphore, 'b', 6);
  enter(semaphore, 'c', 4);
  cancelB();
  // b left the head of the queue: c fits beside a.
  expect(log).toEqual(['start a', 'start c']);
  jest.advanceTimersByTime(5_000);
  expect(log).toEqual(['start a', 'start c']);
  cancelA();
  expect(semaphore.held).toBe(10);
  release('a');
  release('c');
  expect(semaphore.held).toBe(0);
});
