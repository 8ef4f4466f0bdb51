import { UpstreamRateLimitedError } from '../upstream/errors.js';

/** How long an org stays blocked after a 429 that named no Retry-After (nor a reset time). */
export const DEFAULT_BLOCK_SEC = 60;

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
 * serve) than spending the org's last calls, which every other client of that org shares. It also
 * learns from the upstream's 429s (see `learn`), which count the calls of every client of the org.
 * Its state is this process's own: replicas do not share it.
 */
export interface QuotaGuard {
  /** Reserves `calls` upstream calls for a read, or throws UpstreamRateLimitedError. */
  spendRead(orgId: string, route: string, calls: number): void;
  /** Same for a write, which may use the whole quota (but not a call while the upstream said 429). */
  spendWrite(orgId: string, route: string, calls: number): void;
  /**
   * Tells the guard how an upstream call of the org failed; only a 429 (UpstreamRateLimitedError
   * from the User API, not from the token endpoint) teaches it anything: every call of the org is
   * refused until its Retry-After has passed, and an `X-Ratelimit-Org-Limit` below the configured
   * quota becomes the org's quota. Anything else is ignored.
   */
  learn(orgId: string, error: unknown): void;
  /** Calls counted in the current window. */
  used(orgId: string): number;
  /** The quota applied to the org: the configured one, or the lower one the upstream announced. */
  quotaOf(orgId: string): number;
}

export function createQuotaGuard(options: QuotaGuardOptions): QuotaGuard {
  const windowMs = options.windowMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const ratio = options.guardRatio ?? 0.95;
  // Per org: the times of its calls, oldest first (at most `quota` of them).
  const calls = new Map<string, number[]>();
  // Per org: the upstream's last announced limit, when lower than options.quota.
  const announced = new Map<string, number>();
  // Per org: until when the upstream's 429 said no call should go out.
  const blockedUntil = new Map<string, number>();

  const quotaOf = (orgId: string) => announced.get(orgId) ?? options.quota;

  const prune = (orgId: string, at: number): number[] => {
    const times = calls.get(orgId) ?? [];
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= at - windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    calls.set(orgId, times);
    return times;
  };

  const spend = (limitOf: (quota: number) => number) => (orgId: string, route: string, count: number) => {
    const at = now();
    const until = blockedUntil.get(orgId);
    if (until !== undefined) {
      if (until > at) throw new UpstreamRateLimitedError(route, Math.max(1, Math.ceil((until - at) / 1000)));
      blockedUntil.delete(orgId);
    }
    const limit = limitOf(quotaOf(orgId));
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
    spendRead: spend((quota) => Math.floor(quota * ratio)),
    spendWrite: spend((quota) => quota),
    learn(orgId, error) {
      if (!(error instanceof UpstreamRateLimitedError) || error.route === 'token') return;
      const sec = error.retryAfterSec ?? DEFAULT_BLOCK_SEC;
      const until = now() + sec * 1000;
      // Answers may arrive out of order: the latest end of a block wins.
      if (until > (blockedUntil.get(orgId) ?? 0)) blockedUntil.set(orgId, until);
      const limit = error.orgLimit;
      if (limit === undefined) return;
      // The latest announcement wins (a limit may go up again), but never above the configured quota.
      if (limit < options.quota) announced.set(orgId, limit);
      else announced.delete(orgId);
    },
    used: (orgId) => prune(orgId, now()).length,
    quotaOf,
  };
}
