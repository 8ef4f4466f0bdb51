import type { Logger } from '../logger.js';
import { createUserCache, type UserCache } from './user-cache.js';
import { createMemoryStore } from './memory-store.js';
import { createQuotaGuard } from './quota-guard.js';
import { createWriteLog } from './write-log.js';

/** The cache settings of src/config.ts (CACHE_*, REDIS_URL, QUOTA_*). */
export interface CacheSettings {
  ttlMs: number;
  maxEntries: number;
  coalesceWindowMs: number;
  /** Absent: memory only. */
  redisUrl?: string | undefined;
  /** With Redis: how long each replica keeps users in process memory in front of it (0: never). */
  localTtlMs?: number;
  /** 0: no quota guard. */
  quotaPerHour: number;
  quotaGuardRatio: number;
  /** Most of the org's hourly reads one authenticated caller may spend (QUOTA_CALLER_SHARE). */
  callerShare: number;
}

/**
 * The process-wide cache: Redis (falling back to memory) when a URL is given, else memory. The Redis
 * client (ioredis, some fifty modules) is loaded only when a URL is given.
 */
export async function createCache(
  settings: CacheSettings,
  logger: Pick<Logger, 'warn' | 'info'>,
  onLookup?: (event: { hits: number; misses: number }) => void,
): Promise<UserCache> {
  const memory = createMemoryStore({ ttlMs: settings.ttlMs, maxEntries: settings.maxEntries });
  const writes = createWriteLog();
  const store = settings.redisUrl
    ? (await import('./redis-store.js')).createRedisStore({
        url: settings.redisUrl,
        ttlMs: settings.ttlMs,
        fallback: memory,
        logger,
        localTtlMs: settings.localTtlMs ?? 0,
        localMaxEntries: settings.maxEntries,
        writes,
      })
    : memory;
  return createUserCache({
    store,
    writes,
    coalesceWindowMs: settings.coalesceWindowMs,
    ...(onLookup ? { onLookup } : {}),
    ...(settings.quotaPerHour > 0
      ? {
          guard: createQuotaGuard({
            quota: settings.quotaPerHour,
            guardRatio: settings.quotaGuardRatio,
            callerShare: settings.callerShare,
          }),
        }
      : {}),
  });
}
