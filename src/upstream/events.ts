/**
 * What the upstream layer reports as it works, for metrics and tracing (src/observability/).
 * Implementations must be cheap and must never throw; the default does nothing. Nothing here
 * carries an id, a token or a URL: routes are the fixed names ("getUser", "batchUsers", "token", ...).
 */
export interface UpstreamEvents {
  /**
   * One HTTP attempt is about to go out (tracing starts its client span here and may add W3C trace
   * headers to `headers`); what it returns is told how the attempt ended. Optional.
   */
  attempt?(request: UpstreamAttempt, headers: Record<string, string>): AttemptObserver;
  /** One HTTP attempt finished: status 0 when no response came (timeout, reset, refused). */
  request(event: {
    route: string;
    status: number;
    durationMs: number;
    batchSize?: number;
    attempt?: number;
  }): void;
  /** A token request finished. */
  tokenFetch(event: { ok: boolean }): void;
  /** A read is being retried (attempt ≥ 2). */
  retry(event: { route: string; attempt: number; reason: string }): void;
  /** The circuit breaker changed state. */
  breakerState(event: { state: 'closed' | 'open' | 'half-open' }): void;
}

/** What is known of an attempt before it goes out. */
export interface UpstreamAttempt {
  route: string;
  method: string;
  attempt?: number;
  batchSize?: number;
}

/** Told once how an attempt ended: with a status, or with the kind of failure (no response). */
export interface AttemptObserver {
  end(status: number): void;
  fail(kind: string): void;
}

export const NOOP_ATTEMPT: AttemptObserver = { end() {}, fail() {} };

export const NOOP_EVENTS: UpstreamEvents = {
  request() {},
  tokenFetch() {},
  retry() {},
  breakerState() {},
};
