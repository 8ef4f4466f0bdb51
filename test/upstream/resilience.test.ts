// The read policy on its own: which failures are retried, how long it waits, the retry budget and
// the circuit breaker's states. Attempts are plain functions; clock, randomness and sleep are
// injected, so every count and every wait is exact.
import {
  UpstreamBadInputError,
  UpstreamMalformedError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../../src/upstream/errors.js';
import type { UpstreamEvents } from '../../src/upstream/events.js';
import { DeadlineExceededError } from '../../src/upstream/abort.js';
import { CircuitBreaker, CircuitOpenError, createResilience } from '../../src/upstream/resilience.js';
import type { ResilienceOptions } from '../../src/upstream/resilience.js';
import { RetryBudget } from '../../src/upstream/retry-budget.js';

/** Everything the policy reports, in order. */
function recorder() {
  const log: string[] = [];
  const events: UpstreamEvents = {
    request: () => {},
    tokenFetch: () => {},
    retry: (e) => log.push(`retry ${e.route} #${e.attempt} ${e.reason}`),
    breakerState: (e) => log.push(`breaker ${e.state}`),
  };
  return { log, events };
}

function harness(options: ResilienceOptions = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const { log, events } = recorder();
  const { readPolicy, breaker } = createResilience({
    random: () => 0.5,
    now: () => now,
    sleep: async (ms) => void sleeps.push(ms),
    events,
    ...options,
  });
  /** Runs one read whose attempts fail with `failures` in turn, then succeed. */
  const read = async (failures: Error[], route = 'getUser') => {
    let calls = 0;
    try {
      const value = await readPolicy(route, async (n) => {
        calls++;
        expect(n).toBe(calls);
        const failure = failures[n - 1];
        if (failure) throw failure;
        return 'ok';
      });
      return { value, calls };
    } catch (error) {
      return { error: error as Error, calls };
    }
  };
  return { read, readPolicy, breaker, sleeps, log, advance: (ms: number) => void (now += ms) };
}

const s503 = () => new UpstreamUnavailableError('getUser', 'down', 503);
const reset = () => new UpstreamUnavailableError('getUser', 'reset');

describe('which failures are retried', () => {
  it.each([
    ['a timeout', () => new UpstreamTimeoutError('getUser', 't')],
    ['a reset or refused connection (no status)', reset],
    ['502', () => new UpstreamUnavailableError('getUser', 'x', 502)],
    ['503', s503],
    ['504', () => new UpstreamUnavailableError('getUser', 'x', 504)],
  ])('%s: retried, and the next attempt succeeds', async (_case, failure) => {
    const h = harness({ breaker: false });
    expect(await h.read([failure()])).toEqual({ value: 'ok', calls: 2 });
  });

  it.each([
    ['500 (usually caused by the request itself)', () => new UpstreamUnavailableError('getUser', 'x', 500)],
    ['an unexpected status (418)', () => new UpstreamUnavailableError('getUser', 'x', 418)],
    ['404', () => new UpstreamNotFoundError('getUser', 'x')],
    ['400', () => new UpstreamBadInputError('getUser', {})],
    ['a malformed body', () => new UpstreamMalformedError('getUser', 'x')],
    ['a rejected token', () => new UpstreamUnauthenticatedError('getUser', 'x')],
    ['429 without Retry-After', () => new UpstreamRateLimitedError('getUser', undefined)],
    ['429 with Retry-After beyond the bound', () => new UpstreamRateLimitedError('getUser', 3)],
    ['a token-route failure (the token manager has its own cooldown)', () => reset_token()],
    ['a bug of ours', () => new TypeError('oops')],
  ])('%s: not retried', async (_case, failure) => {
    const h = harness({ breaker: false });
    const error = failure();
    expect(await h.read([error])).toEqual({ error, calls: 1 });
    expect(h.log).toEqual([]);
  });

  it('gives up after maxAttempts with the last failure', async () => {
    const h = harness({ breaker: false, retry: { maxAttempts: 3 } });
    const last = s503();
    expect(await h.read([s503(), reset(), last, s503()])).toEqual({ error: last, calls: 3 });
    expect(h.log).toEqual(['retry getUser #2 status 503', 'retry getUser #3 transport']);
  });

  it('maxAttempts 1 turns retries off', async () => {
    const h = harness({ breaker: false, retry: { maxAttempts: 1 } });
    expect((await h.read([s503()])).calls).toBe(1);
  });
});

function reset_token() {
  return new UpstreamUnavailableError('token', 'reset');
}

describe('waits', () => {
  it('backs off exponentially with full jitter, capped', async () => {
    const randoms = [0.5, 0.25, 0.999, 0];
    const h = harness({
      breaker: false,
      random: () => randoms.shift() ?? 0,
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
    });
    await h.read([s503(), s503(), s503(), s503()]);
    // random × min(300, 100 × 2^(n-2)) for attempts 2..5: 0.5×100, 0.25×200, 0.999×300, 0×300.
    expect(h.sleeps).toEqual([50, 50, 300, 0]);
  });

  it('waits out a Retry-After within the bound, exactly, then retries', async () => {
    const h = harness({ breaker: false, retry: { maxRetryAfterSec: 2 } });
    expect(await h.read([new UpstreamRateLimitedError('searchUsers', 2)], 'searchUsers')).toEqual({
      value: 'ok',
      calls: 2,
    });
    expect(h.sleeps).toEqual([2000]);
    expect(h.log).toEqual(['retry searchUsers #2 rate_limited']);
  });

  it('a Retry-After beyond the bound fails at once with the rate-limit error', async () => {
    const h = harness({ breaker: false, retry: { maxRetryAfterSec: 2 } });
    const limited = new UpstreamRateLimitedError('searchUsers', 60);
    expect(await h.read([limited], 'searchUsers')).toEqual({ error: limited, calls: 1 });
    expect(h.sleeps).toEqual([]);
  });

  it('stops when the caller’s signal aborts during the wait, with the caller’s reason', async () => {
    const controller = new AbortController();
    const { readPolicy } = createResilience({
      breaker: false,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error));
          controller.abort(new Error('client went away'));
        }),
    });
    let calls = 0;
    const outcome = readPolicy(
      'getUser',
      async () => {
        calls++;
        throw s503();
      },
      { signal: controller.signal },
    );
    await expect(outcome).rejects.toThrow('client went away');
    expect(calls).toBe(1);
  });

  it('a deadline that passes during the wait is a typed timeout', async () => {
    const controller = new AbortController();
    const { readPolicy } = createResilience({
      breaker: false,
      sleep: async () => {
        controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
        throw new Error('aborted');
      },
    });
    const outcome = readPolicy(
      'getUser',
      async () => {
        throw s503();
      },
      { signal: controller.signal },
    );
    await expect(outcome).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('no retry once the signal has aborted', async () => {
    const h = harness({ breaker: false });
    const controller = new AbortController();
    let calls = 0;
    await expect(
      h.readPolicy(
        'getUser',
        async () => {
          calls++;
          controller.abort(new Error('gone'));
          throw reset();
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('gone');
    expect(calls).toBe(1);
  });
});

describe('retry budget', () => {
  it('retries at most ratio × reads (+ floor) per window', async () => {
    const h = harness({
      breaker: false,
      retry: { maxAttempts: 3, budgetRatio: 0.5, budgetMinRetries: 0, budgetWindowMs: 10_000 },
    });
    const calls: number[] = [];
    for (let i = 0; i < 6; i++) calls.push((await h.read([s503(), s503(), s503()])).calls);
    // Read k may retry while retries < 0.5 × k: one retry on every second read.
    expect(calls).toEqual([2, 1, 2, 1, 2, 1]);
  });

  it('the floor lets a quiet gateway retry, and the window refills the budget', async () => {
    const h = harness({
      breaker: false,
      retry: { maxAttempts: 3, budgetRatio: 0, budgetMinRetries: 2, budgetWindowMs: 10_000 },
    });
    expect((await h.read([s503(), s503(), s503()])).calls).toBe(3);
    expect((await h.read([s503(), s503(), s503()])).calls).toBe(1);
    h.advance(10_001);
    expect((await h.read([s503(), s503(), s503()])).calls).toBe(3);
  });
});

describe('RetryBudget', () => {
  it('counts exactly the requests of the last window, also after dropping the expired ones', () => {
    let now = 0;
    // ratio 1, no floor: exactly as many retries as requests in the window.
    const budget = new RetryBudget({ ratio: 1, minRetries: 0, windowMs: 1000, now: () => now });
    const retriesAllowed = () => {
      let n = 0;
      while (budget.tryRetry()) n++;
      return n;
    };
    // 300 requests 10 ms apart (0 … 2,990): the window at 2,990 holds those after 1,990.
    for (let i = 0; i < 300; i++) {
      now = i * 10;
      budget.recordRequest();
    }
    expect(retriesAllowed()).toBe(100);
    // 50 more (3,000 … 3,490); at 3,490 the window holds 2,500 … 3,490 and the retries at 2,990.
    for (let i = 300; i < 350; i++) {
      now = i * 10;
      budget.recordRequest();
    }
    expect(retriesAllowed()).toBe(0);
    now = 3990; // the retries of 2,990 and the requests up to 2,990 have left the window
    expect(retriesAllowed()).toBe(50);
    now = 5000;
    expect(retriesAllowed()).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, fails fast, probes after the cool-down, closes on success', async () => {
    const h = harness({ retry: { maxAttempts: 1 }, breaker: { failureThreshold: 3, cooldownMs: 5000 } });
    for (let i = 0; i < 3; i++) expect((await h.read([s503()])).calls).toBe(1);
    expect(h.breaker?.state).toBe('open');

    const fast = await h.read([]);
    expect(fast.calls).toBe(0);
    expect(fast.error).toBeInstanceOf(CircuitOpenError);
    expect(fast.error).toBeInstanceOf(UpstreamUnavailableError);
    expect(fast.error?.message).toBe(
      'The User API is failing; getUser was not attempted while the circuit is open',
    );

    h.advance(4999);
    expect((await h.read([])).calls).toBe(0);
    h.advance(1);
    expect(await h.read([])).toEqual({ value: 'ok', calls: 1 });
    expect(h.breaker?.state).toBe('closed');
    expect(h.log).toEqual(['breaker open', 'breaker half-open', 'breaker closed']);
  });

  it('a failed probe opens the circuit again for another cool-down', async () => {
    const h = harness({ retry: { maxAttempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 1000 } });
    await h.read([s503()]);
    h.advance(1000);
    expect((await h.read([reset()])).calls).toBe(1);
    expect(h.breaker?.state).toBe('open');
    expect((await h.read([])).calls).toBe(0);
    h.advance(1000);
    expect((await h.read([])).calls).toBe(1);
    expect(h.log).toEqual([
      'breaker open',
      'breaker half-open',
      'breaker open',
      'breaker half-open',
      'breaker closed',
    ]);
  });

  it('half-open lets exactly one probe through; concurrent reads fail fast', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10, now: () => now });
    await expect(breaker.run('getUser', async () => Promise.reject(s503()))).rejects.toThrow();
    now = 10;
    let release: (value: string) => void = () => {};
    const probe = breaker.run('getUser', () => new Promise<string>((resolve) => (release = resolve)));
    await expect(breaker.run('getUser', async () => 'second')).rejects.toBeInstanceOf(CircuitOpenError);
    release('probe');
    expect(await probe).toBe('probe');
    expect(await breaker.run('getUser', async () => 'after')).toBe('after');
  });

  it('answers of a live upstream (404, 400, 429, malformed) reset the count; 500 counts', async () => {
    const h = harness({ retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2 } });
    await h.read([s503()]);
    await h.read([new UpstreamNotFoundError('getUser', 'x')]);
    await h.read([s503()]);
    await h.read([new UpstreamRateLimitedError('getUser', 60)]);
    await h.read([new UpstreamMalformedError('getUser', 'x')]);
    await h.read([new UpstreamUnavailableError('getUser', 'x', 500)]);
    expect(h.breaker?.state).toBe('closed');
    await h.read([new UpstreamTimeoutError('getUser', 'x')]);
    expect(h.breaker?.state).toBe('open');
  });

  it('a caller leaving or the operation’s deadline neither opens nor closes it', async () => {
    const h = harness({ retry: { maxAttempts: 1 }, breaker: { failureThreshold: 2, cooldownMs: 10 } });
    await h.read([s503()]);
    await h.read([new DeadlineExceededError('getUser', 'x')]);
    await h.read([new DOMException('gone', 'AbortError')]);
    expect(h.breaker?.state).toBe('closed');
    await h.read([s503()]);
    expect(h.breaker?.state).toBe('open');
    h.advance(10);
    // An aborted probe leaves the circuit half-open for the next caller to probe.
    await h.read([new DOMException('gone', 'AbortError')]);
    expect(h.breaker?.state).toBe('half-open');
    expect((await h.read([])).calls).toBe(1);
    expect(h.breaker?.state).toBe('closed');
  });

  it('an open circuit stops the retries of a read that is under way', async () => {
    const h = harness({ retry: { maxAttempts: 5 }, breaker: { failureThreshold: 2 } });
    const outcome = await h.read([s503(), s503(), s503()]);
    expect(outcome.calls).toBe(2);
    expect(outcome.error).toBeInstanceOf(CircuitOpenError);
  });
});
