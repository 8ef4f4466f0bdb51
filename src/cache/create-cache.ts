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
  /** With Redis: while it is down each replica spends against quotaPerHour / this (QUOTA_FALLBACK_REPLICAS). */
  fallbackReplicas?: number;
}

/**
 * The process-wide cache: Redis (falling back to memory) when a URL is given, else memory; and the
 * quota guard: counted fleet-wide in Redis when a URL is given (falling back to this process's share),
 * else this process's own. The Redis client (ioredis, some fifty modules) is loaded only with a URL.
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
  const guard =
    settings.quotaPerHour > 0
      ? createQuotaGuard({
          // With Redis, this process's own guard is the fallback: its share of the fleet's quota.
          quota: settings.redisUrl
            ? Math.max(1, Math.floor(settings.quotaPerHour / (settings.fallbackReplicas ?? 1)))
            : settings.quotaPerHour,
          guardRatio: settings.quotaGuardRatio,
          callerShare: settings.callerShare,
        })
      : undefined;
  const budget =
    guard && settings.redisUrl
      ? (await import('./fleet-quota.js')).createFleetQuota({
          redisUrl: settings.redisUrl,
          quota: settings.quotaPerHour,
          guardRatio: settings.quotaGuardRatio,
          callerShare: settings.callerShare,
          fallback: guard,
          logger,
        })
      : undefined;
  return createUserCache({
    store,
    writes,
    coalesceWindowMs: settings.coalesceWindowMs,
    ...(onLookup ? { onLookup } : {}),
    ...(guard ? { guard } : {}),
    ...(budget ? { budget } : {}),
  });
}
