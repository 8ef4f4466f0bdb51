// Retries, a retry budget and a circuit breaker for reads, plugged into UserApiClient's readPolicy.
// Hand-written rather than a library: the rules are small and specific to this upstream (which
// statuses are transient, Retry-After against a bound, one quota shared by the whole org), the
// state must be injectable (clock, randomness, sleep) for deterministic tests, and no well-kept
// breaker library is a dependency of this repo.
//
// Decisions, in short:
// - Retried: timeouts of an attempt, transport failures (reset, refused, a stale keep-alive socket),
//   502/503/504, and 429 when Retry-After is within the bound. Not retried: 500 (the User API's
//   "unknown-exception" is usually caused by the request itself, so replaying it spends quota for
//   nothing), every other 4xx, malformed answers, token-route failures (the token manager has its
//   own cooldown) and anything after the caller's signal aborted (disconnect or deadline).
// - The budget: retries may be at most `budgetRatio` of the reads of the last `budgetWindowMs`, plus
//   a small floor, so a failing upstream sees at most ~1.2× the normal load, not 3×.
// - The breaker counts what says "the upstream is unwell": timeouts, transport failures and 5xx
//   (500 included). 4xx, 429 (quota, not health) and malformed bodies do not count.
import {
  UpstreamError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.js';
import { NOOP_EVENTS } from './events.js';
import type { UpstreamEvents } from './events.js';
import { abortReason, DeadlineExceededError } from './abort.js';
import { RetryBudget } from './retry-budget.js';
import type { ReadPolicy } from './user-api-client.js';

export interface RetryOptions {
  /** Attempts per read, the first included; 1 turns retries off. Default 3. */
  maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs × 2^(n-1))). Default 100. */
  baseDelayMs?: number;
  /** Default 1000. */
  maxDelayMs?: number;
  /** A 429 whose Retry-After is at most this is waited out and retried; longer fails at once. Default 2. */
  maxRetryAfterSec?: number;
  /** Retries may be at most this share of the reads in the window (plus the floor). Default 0.2. */
  budgetRatio?: number;
  /** Retries always allowed per window, so a quiet gateway can still retry. Default 10. */
  budgetMinRetries?: number;
  /** Default 10 000. */
  budgetWindowMs?: number;
}

export interface BreakerOptions {
  /** Consecutive failed attempts that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit fails fast before one probe is let through. Default 5000. */
  cooldownMs?: number;
}

export interface ResilienceOptions {
  retry?: RetryOptions;
  /** false: no breaker. */
  breaker?: BreakerOptions | false;
  events?: UpstreamEvents;
  /** Injectable for tests. Defaults: Math.random, Date.now, a timer that the signal cancels. */
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The fail-fast answer of an open circuit: no upstream call was made. */
export class CircuitOpenError extends UpstreamUnavailableError {
  constructor(route: string) {
    super(route, `The User API is failing; ${route} was not attempted while the circuit is open`);
  }
}

/**
 * Closed → open after `failureThreshold` consecutive failures; open fails fast for `cooldownMs`;
 * then half-open lets exactly one probe through (others still fail fast): success closes, failure
 * opens again for another cooldown.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #events: UpstreamEvents;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(options: BreakerOptions & { now?: () => number; events?: UpstreamEvents } = {}) {
    this.#threshold = Math.max(1, options.failureThreshold ?? 5);
    this.#cooldownMs = Math.max(0, options.cooldownMs ?? 5000);
    this.#now = options.now ?? Date.now;
    this.#events = options.events ?? NOOP_EVENTS;
  }

  get state(): BreakerState {
    return this.#state;
  }

  async run<T>(route: string, attempt: () => Promise<T>): Promise<T> {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#cooldownMs) {
      this.#moveTo('half-open');
    }
    if (this.#state === 'open' || (this.#state === 'half-open' && this.#probing)) {
      throw new CircuitOpenError(route);
    }
    const probe = this.#state === 'half-open';
    if (probe) this.#probing = true;
    try {
      const value = await attempt();
      this.#failures = 0;
      if (this.#state !== 'closed') this.#moveTo('closed');
      return value;
    } catch (error) {
      if (isHealthFailure(error)) {
        this.#failures++;
        if (probe || (this.#state === 'closed' && this.#failures >= this.#threshold)) {
          this.#openedAt = this.#now();
          this.#moveTo('open');
        }
      } else if (isAnswer(error)) {
        // The upstream answered (a 404, a 400, a 429...): it is alive.
        this.#failures = 0;
        if (this.#state !== 'closed') this.#moveTo('closed');
      }
      throw error;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  #moveTo(state: BreakerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.breakerState({ state });
  }
}

export interface Resilience {
  readPolicy: ReadPolicy;
  /** Undefined when the breaker is off. */
  breaker: CircuitBreaker | undefined;
}

/** One per upstream (process): the breaker and the budget are shared by every request. */
export function createResilience(options: ResilienceOptions = {}): Resilience {
  const retry = options.retry ?? {};
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 3);
  const baseDelayMs = Math.max(0, retry.baseDelayMs ?? 100);
  const maxDelayMs = Math.max(0, retry.maxDelayMs ?? 1000);
  const maxRetryAfterSec = Math.max(0, retry.maxRetryAfterSec ?? 2);
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const events = options.events ?? NOOP_EVENTS;
  const budget = new RetryBudget({
    ratio: retry.budgetRatio ?? 0.2,
    minRetries: retry.budgetMinRetries ?? 10,
    windowMs: retry.budgetWindowMs ?? 10_000,
    now,
  });
  const breaker =
    options.breaker === false ? undefined : new CircuitBreaker({ ...options.breaker, now, events });

  /** The wait before attempt `next`, or undefined when the failure must not be retried. */
  const retryDelay = (error: unknown, next: number): { ms: number; reason: string } | undefined => {
    if (next > maxAttempts || !(error instanceof UpstreamError) || error.route === 'token') {
      return undefined;
    }
    const backoff = () => random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (next - 2));
    if (error instanceof UpstreamRateLimitedError) {
      const sec = error.retryAfterSec;
      return sec !== undefined && sec <= maxRetryAfterSec
        ? { ms: sec * 1000, reason: 'rate_limited' }
        : undefined;
    }
    if (error instanceof CircuitOpenError) return undefined;
    if (error instanceof UpstreamTimeoutError) return { ms: backoff(), reason: 'timeout' };
    if (error instanceof UpstreamUnavailableError) {
      if (error.status === undefined) return { ms: backoff(), reason: 'transport' };
      if (error.status === 502 || error.status === 503 || error.status === 504) {
        return { ms: backoff(), reason: `status ${error.status}` };
      }
    }
    return undefined;
  };

  const readPolicy: ReadPolicy = async (route, attempt, context = {}) => {
    const { signal } = context;
    budget.recordRequest();
    for (let n = 1; ; n++) {
      try {
        return await (breaker ? breaker.run(route, () => attempt(n)) : attempt(n));
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal, route);
        const delay = retryDelay(error, n + 1);
        if (!delay || !budget.tryRetry()) throw error;
        // A retry is an upstream call like any other: the quota guard counts it, or refuses it.
        if (context.beforeRetry) await context.beforeRetry(route).catch(() => Promise.reject(error));
        events.retry({ route, attempt: n + 1, reason: delay.reason });
        await sleep(Math.round(delay.ms), signal).catch(() => {
          throw signal?.aborted ? abortReason(signal, route) : error;
        });
      }
    }
  };

  return { readPolicy, breaker };
}

/**
 * A typed answer of the upstream (404, 400, 429, malformed...): it is alive. Not an answer: the
 * caller leaving, the operation's deadline passing, or a bug of ours.
 */
function isAnswer(error: unknown): boolean {
  return error instanceof UpstreamError && !(error instanceof DeadlineExceededError);
}

/** Did the upstream (or the way to it) fail, as opposed to answering no? */
function isHealthFailure(error: unknown): boolean {
  if (error instanceof CircuitOpenError || error instanceof DeadlineExceededError) return false;
  if (error instanceof UpstreamTimeoutError) return true;
  if (error instanceof UpstreamUnavailableError) return error.status === undefined || error.status >= 500;
  return false;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
