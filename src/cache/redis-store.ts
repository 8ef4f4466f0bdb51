import type { Logger } from '../logger.js';
import type { User } from '../upstream/types.js';
import { createMemoryStore } from './memory-store.js';
import { connectRedis, redisOrFallback, whenConnected } from './redis-connection.js';
import { createInvalidations } from './redis-invalidations.js';
import type { UserStore } from './store.js';
import { createWriteLog, type WriteLog } from './write-log.js';

export interface RedisStoreOptions {
  /** e.g. redis://127.0.0.1:6379/0 */
  url: string;
  ttlMs: number;
  /** Used while Redis is unreachable, so the gateway keeps serving (and saving quota). */
  fallback: UserStore;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Key prefix; default "xdr-gw:user:". */
  prefix?: string;
  /** A Redis command slower than this counts as Redis being down. Default 500. */
  commandTimeoutMs?: number;
  /**
   * The local tier (CACHE_LOCAL_TTL_MS): users read from Redis are kept in process memory this long,
   * at most `localMaxEntries` of them, and dropped on every replica when one of them changes a user.
   * 0 or absent: every read goes to Redis.
   */
  localTtlMs?: number;
  localMaxEntries?: number;
  /** The user cache's record of updates, told of the other replicas' updates too (user-cache.ts). */
  writes?: WriteLog;
}

export interface RedisUserStore extends UserStore {
  /**
   * Resolves once connected, and subscribed to the other replicas' updates when there is a local
   * tier (or rejects after the first failed attempt); for tests and start-up.
   */
  ready(): Promise<void>;
}

/**
 * Users as JSON strings under `<prefix><orgId>:<userId>` with a PX expiry, shared by every replica on
 * the same Redis, in front of which each replica may keep a local tier (see `localTtlMs`). When Redis
 * fails, every call goes to `fallback` (an in-process LRU) and one warning is logged; a later success
 * logs one info line and Redis is used again.
 */
export function createRedisStore(options: RedisStoreOptions): RedisUserStore {
  const prefix = options.prefix ?? 'xdr-gw:user:';
  const redis = connectRedis(options.url, options.commandTimeoutMs);
  const key = (orgId: string, id: string) => `${prefix}${orgId}:${id}`;
  const writes = options.writes ?? createWriteLog();
  const local = options.localTtlMs
    ? createMemoryStore({ ttlMs: options.localTtlMs, maxEntries: options.localMaxEntries ?? 10_000 })
    : undefined;
  const invalidations =
    local &&
    createInvalidations({
      redis,
      logger: options.logger,
      // Another replica changed these users: out of the local tier, and no read that started before
      // may put them back (here or in Redis: the user cache checks the same record).
      drop(orgId, ids) {
        for (const id of ids) writes.remember(orgId, id);
        return local.deleteMany(orgId, ids);
      },
    });

  const attempt = redisOrFallback(redis, {
    logger: options.logger,
    down: {
      event: 'cache_redis_down',
      message: 'Redis is unreachable; the cache falls back to process memory until it is back',
    },
    up: { event: 'cache_redis_up', message: 'Redis is reachable again; the cache uses it' },
  });

  /** Users from Redis, or from the fallback while Redis is down. */
  const shared = (orgId: string, ids: readonly string[]) =>
    attempt(
      async () => {
        const values = await redis.mget(ids.map((id) => key(orgId, id)));
        return values.map((value) => (value === null ? undefined : (JSON.parse(value) as User)));
      },
      () => options.fallback.getMany(orgId, ids),
    );

  return {
    ready: async () => {
      await whenConnected(redis);
      await invalidations?.ready();
    },
    async getMany(orgId, ids) {
      const near = local ? await local.getMany(orgId, ids) : [];
      const missing = local ? ids.filter((_, i) => near[i] === undefined) : ids;
      if (missing.length === 0) return near;
      const startSeq = writes.seq;
      const far = await shared(orgId, missing);
      if (!local) return far;
      const found = far.filter((user) => user !== undefined);
      await local.setMany(orgId, writes.untouchedSince(orgId, found, startSeq));
      let next = 0;
      return near.map((user) => user ?? far[next++]);
    },
    async setMany(orgId, users) {
      await local?.setMany(orgId, users);
      await attempt(
        async () => {
          if (users.length === 0) return;
          const pipeline = redis.pipeline();
          for (const user of users)
            pipeline.set(key(orgId, user.id), JSON.stringify(user), 'PX', options.ttlMs);
          await execOrThrow(pipeline.exec());
        },
        () => options.fallback.setMany(orgId, users),
      );
    },
    async deleteMany(orgId, ids) {
      // Every tier: an entry the fallback took while Redis was down must not outlive an update either;
      // then every other replica's local tier, before the update is answered.
      await local?.deleteMany(orgId, ids);
      await options.fallback.deleteMany(orgId, ids);
      await attempt(
        async () => {
          if (ids.length > 0) await redis.del(...ids.map((id) => key(orgId, id)));
          await invalidations?.publish(orgId, ids);
        },
        () => Promise.resolve(),
      );
    },
    async close() {
      invalidations?.close();
      redis.disconnect();
      await options.fallback.close();
    },
  };
}

async function execOrThrow(result: Promise<[Error | null, unknown][] | null>): Promise<void> {
  const replies = await result;
  const failed = replies?.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
}
