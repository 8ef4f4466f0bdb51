import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { User } from '../upstream/types.js';
import type { UserStore } from './store.js';

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
}

export interface RedisUserStore extends UserStore {
  /** Resolves once connected (or rejects after the first failed attempt); for tests and start-up. */
  ready(): Promise<void>;
}

/**
 * Users as JSON strings under `<prefix><orgId>:<userId>` with a PX expiry, shared by every replica on
 * the same Redis. When Redis fails, every call goes to `fallback` (an in-process LRU) and one warning
 * is logged; a later success logs one info line and Redis is used again.
 */
export function createRedisStore(options: RedisStoreOptions): RedisUserStore {
  const prefix = options.prefix ?? 'xdr-gw:user:';
  const redis = new Redis(options.url, {
    // Fail at once rather than queue commands while disconnected: the fallback answers instead.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // ioredis reports connection errors as events too; the store reports them through its own warning.
  redis.on('error', () => {});
  const key = (orgId: string, id: string) => `${prefix}${orgId}:${id}`;
  let down = false;

  async function attempt<T>(viaRedis: () => Promise<T>, viaFallback: () => Promise<T>): Promise<T> {
    if (redis.status === 'ready') {
      try {
        const result = await viaRedis();
        if (down) {
          down = false;
          options.logger.info({ event: 'cache_redis_up' }, 'Redis is reachable again; the cache uses it');
        }
        return result;
      } catch (error) {
        markDown(error);
      }
    } else {
      markDown(new Error(`redis connection is ${redis.status}`));
    }
    return viaFallback();
  }

  function markDown(error: unknown) {
    if (down) return;
    down = true;
    options.logger.warn(
      { event: 'cache_redis_down', reason: error instanceof Error ? error.message : String(error) },
      'Redis is unreachable; the cache falls back to process memory until it is back',
    );
  }

  return {
    ready: () =>
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            redis.once('ready', () => resolve());
            redis.once('error', reject);
          }),
    getMany: (orgId, ids) =>
      attempt(
        async () => {
          if (ids.length === 0) return [];
          const values = await redis.mget(ids.map((id) => key(orgId, id)));
          return values.map((value) => (value === null ? undefined : (JSON.parse(value) as User)));
        },
        () => options.fallback.getMany(orgId, ids),
      ),
    setMany: (orgId, users) =>
      attempt(
        async () => {
          if (users.length === 0) return;
          const pipeline = redis.pipeline();
          for (const user of users)
            pipeline.set(key(orgId, user.id), JSON.stringify(user), 'PX', options.ttlMs);
          await execOrThrow(pipeline.exec());
        },
        () => options.fallback.setMany(orgId, users),
      ),
    async deleteMany(orgId, ids) {
      // Both tiers: an entry the fallback took while Redis was down must not outlive an update either.
      await options.fallback.deleteMany(orgId, ids);
      await attempt(
        async () => {
          if (ids.length > 0) await redis.del(...ids.map((id) => key(orgId, id)));
        },
        () => Promise.resolve(),
      );
    },
    async close() {
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
