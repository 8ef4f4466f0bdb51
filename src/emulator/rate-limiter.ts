export type RateDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

export interface RateLimiter {
  readonly quota: number;
  /** Takes a slot for the org if one is free; refused calls take none. */
  take(orgId: string, now?: number): RateDecision;
  reset(): void;
}

/** A rolling (sliding-log) window per org: exact, and cheap at the quotas the API has. */
export function createRateLimiter(options: { quota: number; windowMs: number }): RateLimiter {
  const logs = new Map<string, number[]>();
  return {
    quota: options.quota,
    take(orgId, now = Date.now()) {
      let log = logs.get(orgId);
      if (!log) {
        log = [];
        logs.set(orgId, log);
      }
      let expired = 0;
      while (expired < log.length && (log[expired] ?? 0) <= now - options.windowMs) expired++;
      if (expired > 0) log.splice(0, expired);
      if (log.length < options.quota) {
        log.push(now);
        return { allowed: true };
      }
      const oldest = log[0] ?? now;
      return {
        allowed: false,
        retryAfterSec: Math.max(1, Math.ceil((oldest + options.windowMs - now) / 1000)),
      };
    },
    reset: () => logs.clear(),
  };
}
