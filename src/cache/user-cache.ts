import { localBudget, type QuotaBudget, type QuotaGuard } from './quota-guard.js';
import { createSharedBatches, type SharedBatches } from './shared-batches.js';
import type { UserStore } from './store.js';
import { createWriteLog, type WriteLog } from './write-log.js';

export interface UserCacheOptions {
  store: UserStore;
  /** Upstream-call budget per org, this process's own; none: no guard. */
  guard?: QuotaGuard;
  /** Instead of `guard` alone: the fleet's budget in Redis, which falls back to `guard` (fleet-quota.ts). */
  budget?: QuotaBudget;
  /**
   * How long the first miss waits for other requests' misses before the shared batch call goes out.
   * 0 (default 1): the next turn of the event loop only.
   */
  coalesceWindowMs?: number;
  /** The clock for remembering updates; default Date.now. */
  now?: () => number;
  /** The record of updates, when the store shares it (a Redis store hears other replicas' updates). */
  writes?: WriteLog;
  /** Told how many ids of each by-id lookup the store served and how many it had to fetch. */
  onLookup?: (event: { hits: number; misses: number }) => void;
}

/**
 * The process-wide part of the cache: the store, the quota guard, the batches being gathered or in
 * flight per org, and recent updates. Create one per process and wrap every UserApi with
 * createCachingUserApi over it.
 */
export interface UserCache {
  readonly store: UserStore;
  /** This process's own guard (with a fleet budget: the one it falls back to without Redis). */
  readonly guard: QuotaGuard | undefined;
  /** What every upstream call is spent against: the fleet's budget, or `guard`'s. */
  readonly budget: QuotaBudget | undefined;
  readonly batches: SharedBatches;
  readonly writes: WriteLog;
  readonly onLookup: (event: { hits: number; misses: number }) => void;
  /** Closes the store (the Redis connection). */
  close(): Promise<void>;
}

export function createUserCache(options: UserCacheOptions): UserCache {
  const { store, guard } = options;
  const budget = options.budget ?? (guard && localBudget(guard));
  const writes = options.writes ?? createWriteLog(options.now);
  return {
    store,
    guard,
    budget,
    writes,
    batches: createSharedBatches({ store, writes, budget, windowMs: options.coalesceWindowMs ?? 1 }),
    onLookup: options.onLookup ?? (() => {}),
    close: async () => {
      await budget?.close();
      await store.close();
    },
  };
}
