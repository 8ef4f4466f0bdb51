/**
 * What the upstream layer reports as it works, for metrics and tracing (src/observability/).
 * Implementations must be cheap and must never throw; the default does nothing. Nothing here
 * carries an id, a token or a URL: routes are the fixed names ("getUser", "batchUsers", "token", ...).
 */
export interface UpstreamEvents {
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

export const NOOP_EVENTS: UpstreamEvents = {
  request() {},
  tokenFetch() {},
  retry() {},
  breakerState() {},
};
