import { UpstreamRateLimitedError } from '../upstream/errors.js';

export interface QuotaGuardOptions {
  /** The upstream's quota per org and window (Cisco: 8000 per hour). */
  quota: number;
  /** Reads stop at `quota × guardRatio`; the rest is kept for updateUser. Default 0.95. */
  guardRatio?: number;
  /** Default one hour. */
  windowMs?: number;
  /** The clock, for tests; default Date.now. */
  now?: () => number;
}

/**
 * Counts the upstream calls this process makes per org over a rolling window and refuses a call,
 * before it is made, once the org is near its quota: better a fast RATE_LIMITED (cached users still
 * serve) than spending the org's last calls, which every other client of that org shares.
 */
export interface QuotaGuard {
  /** Reserves `calls` upstream calls for a read, or throws UpstreamRateLimitedError. */
  spendRead(orgId: string, route: string, calls: number): void;
  /** Same for a write, which may use the whole quota. */
  spendWrite(orgId: string, route: string, calls: number): void;
  /** Calls counted in the current window. */
  used(orgId: string): number;
}

export function createQuotaGuard(options: QuotaGuardOptions): QuotaGuard {
  const windowMs = options.windowMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const readLimit = Math.floor(options.quota * (options.guardRatio ?? 0.95));
  // Per org: the times of its calls, oldest first (at most `quota` of them).
  const calls = new Map<string, number[]>();

  const prune = (orgId: string, at: number): number[] => {
    const times = calls.get(orgId) ?? [];
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= at - windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    calls.set(orgId, times);
    return times;
  };

  const spend = (limit: number) => (orgId: string, route: string, count: number) => {
    const at = now();
    const times = prune(orgId, at);
    if (times.length + count > limit) {
      // Enough of the oldest calls must leave the window before this one fits.
      const freeing = times[Math.min(times.length - 1, Math.max(0, times.length + count - limit - 1))];
      const retryAfterSec = Math.max(1, Math.ceil(((freeing ?? at) + windowMs - at) / 1000));
      throw new UpstreamRateLimitedError(route, retryAfterSec);
    }
    for (let i = 0; i < count; i++) times.push(at);
  };

  return {
    spendRead: spend(readLimit),
    spendWrite: spend(options.quota),
    used: (orgId) => prune(orgId, now()).length,
  };
}
