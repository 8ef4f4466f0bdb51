import { UpstreamRateLimitedError } from '../upstream/errors.js';

/** How long an org stays blocked after a 429 that named no Retry-After (nor a reset time). */
export const DEFAULT_BLOCK_SEC = 60;

/** Callers tracked per org before the guard forgets those whose reads all left the window. */
const CALLER_SWEEP_MIN = 1_024;

export interface QuotaGuardOptions {
  /** The upstream's quota per org and window (Cisco: 8000 per hour). */
  quota: number;
  /** Reads stop at `quota × guardRatio`; the rest is kept for updateUser. Default 0.95. */
  guardRatio?: number;
  /**
   * The most of the org's reads (`quota × guardRatio`) one caller may spend per window, in (0, 1]
   * (QUOTA_CALLER_SHARE). Absent: no per-caller limit.
   */
  callerShare?: number;
  /** Default one hour. */
  windowMs?: number;
  /** The clock, for tests; default Date.now. */
  now?: () => number;
}

/**
 * A caller has spent its share of the org's reads (QUOTA_CALLER_SHARE): RATE_LIMITED for it alone,
 * while the org's other callers are still served. A kind of UpstreamRateLimitedError so that every
 * layer above treats it as the guard's other refusals (nothing was sent), but distinguishable.
 */
export class CallerShareExceededError extends UpstreamRateLimitedError {
  constructor(route: string, retryAfterSec: number) {
    super(route, retryAfterSec);
    this.name = 'CallerShareExceededError';
  }
}

/**
 * Counts the upstream calls this process makes per org over a rolling window and refuses a call,
 * before it is made, once the org is near its quota: better a fast RATE_LIMITED (cached users still
 * serve) than spending the org's last calls, which every other client of that org shares. It also
 * learns from the upstream's 429s (see `learn`), which count the calls of every client of the org.
 * Under that org-wide limit, each authenticated caller may spend only its share of the org's reads
 * (`callerShare`), so that one caller cannot take the whole quota from the others.
 * Its state is this process's own: replicas do not share it.
 */
export interface QuotaGuard {
  /**
   * Reserves `calls` upstream calls for a read, or throws UpstreamRateLimitedError (a
   * CallerShareExceededError when it is `caller`'s share that is spent) and counts nothing. With a
   * caller, the calls count against both the org and the caller's share.
   */
  spendRead(orgId: string, route: string, calls: number, caller?: string): void;
  /** Same for a write, which may use the whole quota (but not a call while the upstream said 429). */
  spendWrite(orgId: string, route: string, calls: number): void;
  /**
   * Charges `caller` for `calls` reads of a call shared with other callers (a coalesced batch), whose
   * org-wide count is taken once, by spendRead without a caller, when it goes out. Throws like
   * spendRead, counting nothing, when the caller's share is spent or the org is blocked by a 429.
   * Returns the refund, for when the shared call is refused before it is made.
   */
  chargeCaller(orgId: string, caller: string, route: string, calls: number): () => void;
  /**
   * Tells the guard how an upstream call of the org failed; only a 429 (UpstreamRateLimitedError
   * from the User API, not from the token endpoint) teaches it anything: every call of the org is
   * refused until its Retry-After has passed, and an `X-Ratelimit-Org-Limit` below the configured
   * quota becomes the org's quota. Anything else is ignored.
   */
  learn(orgId: string, error: unknown): void;
  /** Calls counted in the current window. */
  used(orgId: string): number;
  /** Reads charged to one caller of the org in the current window. */
  usedBy(orgId: string, caller: string): number;
  /** The quota applied to the org: the configured one, or the lower one the upstream announced. */
  quotaOf(orgId: string): number;
  /**
   * The most reads one caller of the org may spend per window: floor(quotaOf × guardRatio ×
   * callerShare), at least 1; Infinity without a callerShare.
   */
  callerLimitOf(orgId: string): number;
}

/** Calls made at one instant; a window holds them oldest first. */
interface Tally {
  at: number;
  count: number;
}

interface Window {
  tallies: Tally[];
  total: number;
}

export function createQuotaGuard(options: QuotaGuardOptions): QuotaGuard {
  const windowMs = options.windowMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const ratio = options.guardRatio ?? 0.95;
  const share = options.callerShare;
  // Per org: its calls in the window.
  const orgs = new Map<string, Window>();
  // Per org, then per caller: the reads charged to the caller in the window.
  const callers = new Map<string, { windows: Map<string, Window>; sweepAt: number }>();
  // Per org: the upstream's last announced limit, when lower than options.quota.
  const announced = new Map<string, number>();
  // Per org: until when the upstream's 429 said no call should go out.
  const blockedUntil = new Map<string, number>();

  const quotaOf = (orgId: string) => announced.get(orgId) ?? options.quota;
  const readLimitOf = (orgId: string) => Math.floor(quotaOf(orgId) * ratio);
  const callerLimitOf = (orgId: string) =>
    share === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(quotaOf(orgId) * ratio * share));

  const prune = (window: Window, at: number): Window => {
    let expired = 0;
    while (expired < window.tallies.length && (window.tallies[expired] as Tally).at <= at - windowMs) {
      window.total -= (window.tallies[expired] as Tally).count;
      expired++;
    }
    if (expired > 0) window.tallies.splice(0, expired);
    return window;
  };

  const orgWindow = (orgId: string, at: number): Window => {
    let window = orgs.get(orgId);
    if (!window) orgs.set(orgId, (window = { tallies: [], total: 0 }));
    return prune(window, at);
  };

  const callerWindow = (orgId: string, caller: string, at: number): Window => {
    let org = callers.get(orgId);
    if (!org) callers.set(orgId, (org = { windows: new Map(), sweepAt: CALLER_SWEEP_MIN }));
    let window = org.windows.get(caller);
    if (!window) {
      // Callers come and go (one per token subject): forget those with nothing left in the window,
      // every time the map has doubled, so that it stays proportional to the callers of the last hour.
      if (org.windows.size >= org.sweepAt) {
        for (const [key, w] of org.windows) if (prune(w, at).total === 0) org.windows.delete(key);
        org.sweepAt = Math.max(CALLER_SWEEP_MIN, 2 * org.windows.size);
      }
      org.windows.set(caller, (window = { tallies: [], total: 0 }));
    }
    return prune(window, at);
  };

  /** Seconds until `count` more fit under `limit`, or undefined when they fit now. */
  const waitFor = (window: Window, count: number, limit: number, at: number): number | undefined => {
    if (window.total + count <= limit) return undefined;
    // Enough of the oldest calls must leave the window before these fit (never, if they alone exceed it).
    let freeing = at;
    let left = window.total;
    for (const tally of window.tallies) {
      if (left + count <= limit || count > limit) break;
      left -= tally.count;
      freeing = tally.at;
    }
    return Math.max(1, Math.ceil((freeing + windowMs - at) / 1000));
  };

  const record = (window: Window, count: number, at: number): Tally => {
    const last = window.tallies.at(-1);
    const tally = last?.at === at ? last : { at, count: 0 };
    if (tally !== last) window.tallies.push(tally);
    tally.count += count;
    window.total += count;
    return tally;
  };

  const checkBlock = (orgId: string, route: string, at: number) => {
    const until = blockedUntil.get(orgId);
    if (until === undefined) return;
    if (until > at) throw new UpstreamRateLimitedError(route, Math.max(1, Math.ceil((until - at) / 1000)));
    blockedUntil.delete(orgId);
  };

  /** Throws when the caller's share (or also the org's limit) has no room for `count` more. */
  const checkCaller = (orgId: string, caller: Window, route: string, count: number, at: number) => {
    const callerWait = waitFor(caller, count, callerLimitOf(orgId), at);
    if (callerWait === undefined) return;
    // When the org is over its limit too, the call fits only once both have room.
    const orgWait = waitFor(orgWindow(orgId, at), count, readLimitOf(orgId), at) ?? 0;
    throw new CallerShareExceededError(route, Math.max(callerWait, orgWait));
  };

  const spend =
    (limitOf: (orgId: string) => number) =>
    (orgId: string, route: string, count: number, caller?: string) => {
      const at = now();
      checkBlock(orgId, route, at);
      const window = orgWindow(orgId, at);
      const own = caller === undefined ? undefined : callerWindow(orgId, caller, at);
      if (own) checkCaller(orgId, own, route, count, at);
      const wait = waitFor(window, count, limitOf(orgId), at);
      if (wait !== undefined) throw new UpstreamRateLimitedError(route, wait);
      record(window, count, at);
      if (own) record(own, count, at);
    };

  return {
    spendRead: spend(readLimitOf),
    spendWrite: spend(quotaOf),
    chargeCaller(orgId, caller, route, count) {
      const at = now();
      checkBlock(orgId, route, at);
      const own = callerWindow(orgId, caller, at);
      checkCaller(orgId, own, route, count, at);
      const tally = record(own, count, at);
      let refunded = false;
      return () => {
        // Once only; and if the tally has left the window since, there is nothing left to give back.
        if (refunded || !own.tallies.includes(tally)) return;
        refunded = true;
        const back = Math.min(count, tally.count);
        tally.count -= back;
        own.total -= back;
      };
    },
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
    used: (orgId) => orgWindow(orgId, now()).total,
    usedBy: (orgId, caller) => {
      const window = callers.get(orgId)?.windows.get(caller);
      return window ? prune(window, now()).total : 0;
    },
    quotaOf,
    callerLimitOf,
  };
}

/**
 * The guard as the cache spends it: this process's own (localBudget) or the fleet's, counted in Redis
 * (fleet-quota.ts). Each spend settles before the upstream call is made; a refusal rejects with the
 * guard's UpstreamRateLimitedError (a CallerShareExceededError for a caller's share), counting nothing.
 */
export interface QuotaBudget {
  spendRead(orgId: string, route: string, calls: number, caller?: string): Promise<void>;
  spendWrite(orgId: string, route: string, calls: number): Promise<void>;
  /** Resolves to the refund, for when the shared call is refused before it is made. */
  chargeCaller(orgId: string, caller: string, route: string, calls: number): Promise<() => void>;
  learn(orgId: string, error: unknown): void;
  close(): Promise<void>;
}

/** A QuotaGuard of this process alone, as a QuotaBudget. */
export function localBudget(guard: QuotaGuard): QuotaBudget {
  const settle = <T>(spend: () => T): Promise<T> => {
    try {
      return Promise.resolve(spend());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };
  return {
    spendRead: (orgId, route, calls, caller) => settle(() => guard.spendRead(orgId, route, calls, caller)),
    spendWrite: (orgId, route, calls) => settle(() => guard.spendWrite(orgId, route, calls)),
    chargeCaller: (orgId, caller, route, calls) =>
      settle(() => guard.chargeCaller(orgId, caller, route, calls)),
    learn: (orgId, error) => guard.learn(orgId, error),
    close: () => Promise.resolve(),
  };
}
