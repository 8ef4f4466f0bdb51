import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { UpstreamRateLimitedError } from '../upstream/errors.js';
import { connectRedis, redisOrFallback, whenConnected } from './redis-connection.js';
import {
  CallerShareExceededError,
  DEFAULT_BLOCK_SEC,
  type QuotaBudget,
  type QuotaGuard,
} from './quota-guard.js';

// The quota guard of a fleet (REDIS_URL): every replica's upstream calls per org are counted in Redis,
// so QUOTA_PER_HOUR is the org's whole quota, the caller share (QUOTA_CALLER_SHARE) is fleet-wide, and
// a 429 one replica receives (its Retry-After, a lower X-Ratelimit-Org-Limit) holds for all. Each
// spend is one Lua script, checked and counted atomically in Redis: no read-then-write race between
// replicas. The rolling hour is kept in one-minute buckets (a hash per org and per caller), so a call
// leaves the window within a minute of its hour. While Redis does not answer, each replica spends
// against its own guard at QUOTA_PER_HOUR / QUOTA_FALLBACK_REPLICAS (one warning), and returns to
// Redis when it answers (one info line).

const BUCKET_MS = 60_000;

/**
 * KEYS: org window, org block, org announced limit[, caller window].
 * ARGV: now, window ms, bucket ms, calls, quota, guard ratio, caller share (0: none), limit kind
 * ('read' | 'write' | 'caller': the caller's share only), whether the org's window is counted.
 * Returns { 0 } when spent, or { 1 block | 2 caller share | 3 org limit, seconds to wait }.
 */
const SPEND = `
local now, windowMs, bucketMs, calls = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local quota, ratio, share, kind = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return { 1, math.max(1, math.ceil((blocked - now) / 1000)) } end
local announced = tonumber(redis.call('GET', KEYS[3]) or '0')
if announced > 0 and announced < quota then quota = announced end
local function window(key)
  local used, oldest = 0, nil
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local bucket, count = tonumber(fields[i]), tonumber(fields[i + 1])
    if (bucket + 1) * bucketMs <= now - windowMs then
      redis.call('HDEL', key, fields[i])
    else
      used = used + count
      if oldest == nil or bucket < oldest then oldest = bucket end
    end
  end
  return used, oldest
end
local function waitSec(oldest)
  if oldest == nil then return 1 end
  return math.max(1, math.ceil(((oldest + 1) * bucketMs + windowMs - now) / 1000))
end
local bucket = tostring(math.floor(now / bucketMs))
if KEYS[4] then
  local limit = math.max(1, math.floor(quota * ratio * share))
  local used, oldest = window(KEYS[4])
  if used + calls > limit then return { 2, waitSec(oldest) } end
end
if kind ~= 'caller' then
  local limit = kind == 'write' and quota or math.floor(quota * ratio)
  local used, oldest = window(KEYS[1])
  if used + calls > limit then return { 3, waitSec(oldest) } end
  redis.call('HINCRBY', KEYS[1], bucket, calls)
  redis.call('PEXPIRE', KEYS[1], windowMs + bucketMs)
end
if KEYS[4] then
  redis.call('HINCRBY', KEYS[4], bucket, calls)
  redis.call('PEXPIRE', KEYS[4], windowMs + bucketMs)
end
return { 0, 0 }
`;

export interface FleetQuotaOptions {
  redisUrl: string;
  /** The org's whole quota per window (QUOTA_PER_HOUR). */
  quota: number;
  guardRatio: number;
  /** QUOTA_CALLER_SHARE; absent: no per-caller limit. */
  callerShare?: number;
  /** What each replica spends against while Redis does not answer: quota / QUOTA_FALLBACK_REPLICAS. */
  fallback: QuotaGuard;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Default one hour. */
  windowMs?: number;
  /** Default "xdr-gw:quota:". */
  prefix?: string;
  now?: () => number;
}

type FleetRedis = Redis & {
  xdrSpend(...args: (string | number)[]): Promise<[number, number]>;
};

export interface FleetQuota extends QuotaBudget {
  /** Resolves once connected to Redis; for tests. */
  ready(): Promise<void>;
}

export function createFleetQuota(options: FleetQuotaOptions): FleetQuota {
  const prefix = options.prefix ?? 'xdr-gw:quota:';
  const windowMs = options.windowMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const { fallback, logger } = options;
  const redis = connectRedis(options.redisUrl) as FleetRedis;
  redis.defineCommand('xdrSpend', { lua: SPEND });
  const keys = (orgId: string) => ({
    window: `${prefix}${orgId}:calls`,
    block: `${prefix}${orgId}:blocked-until`,
    limit: `${prefix}${orgId}:org-limit`,
    caller: (caller: string) => `${prefix}${orgId}:caller:${caller}`,
  });
  const attempt = redisOrFallback(redis, {
    logger,
    down: {
      event: 'quota_redis_down',
      message:
        'Redis is unreachable; each replica counts its own calls against QUOTA_PER_HOUR / QUOTA_FALLBACK_REPLICAS until it is back',
    },
    up: { event: 'quota_redis_up', message: 'Redis is reachable again; the quota is counted fleet-wide' },
    // The quota's refusals are answers, not Redis failing.
    isAnswer: (error) => error instanceof UpstreamRateLimitedError,
  });

  async function spend(
    orgId: string,
    route: string,
    calls: number,
    kind: 'read' | 'write' | 'caller',
    caller?: string,
    at = now(),
  ): Promise<void> {
    const k = keys(orgId);
    const withCaller = caller !== undefined && options.callerShare !== undefined;
    const keyList = withCaller
      ? [k.window, k.block, k.limit, k.caller(caller)]
      : [k.window, k.block, k.limit];
    const [outcome, waitSec] = await redis.xdrSpend(
      keyList.length,
      ...keyList,
      at,
      windowMs,
      BUCKET_MS,
      calls,
      options.quota,
      options.guardRatio,
      options.callerShare ?? 0,
      kind,
    );
    if (outcome === 2) throw new CallerShareExceededError(route, waitSec);
    if (outcome !== 0) throw new UpstreamRateLimitedError(route, waitSec);
  }

  return {
    ready: () => whenConnected(redis),
    spendRead: (orgId, route, calls, caller) =>
      attempt(
        () => spend(orgId, route, calls, 'read', caller),
        () => fallback.spendRead(orgId, route, calls, caller),
      ),
    spendWrite: (orgId, route, calls) =>
      attempt(
        () => spend(orgId, route, calls, 'write'),
        () => fallback.spendWrite(orgId, route, calls),
      ),
    chargeCaller: (orgId, caller, route, calls) =>
      attempt(
        async () => {
          const at = now();
          await spend(orgId, route, calls, 'caller', caller, at);
          const key = keys(orgId).caller(caller);
          const bucket = String(Math.floor(at / BUCKET_MS));
          let refunded = false;
          return () => {
            if (refunded) return;
            refunded = true;
            redis.hincrby(key, bucket, -calls).catch(() => {});
          };
        },
        () => fallback.chargeCaller(orgId, caller, route, calls),
      ),
    learn(orgId, error) {
      fallback.learn(orgId, error);
      if (!(error instanceof UpstreamRateLimitedError) || error.route === 'token') return;
      const k = keys(orgId);
      const until = now() + (error.retryAfterSec ?? DEFAULT_BLOCK_SEC) * 1000;
      const limit = error.orgLimit;
      const tell = async () => {
        await Promise.all([
          // The latest end of a block wins, whichever replica learnt it.
          redis.eval(
            "if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end",
            1,
            k.block,
            until,
            Math.max(1, until - now()) + 1_000,
          ),
          limit === undefined
            ? undefined
            : limit < options.quota
              ? redis.set(k.limit, String(limit), 'PX', windowMs)
              : redis.del(k.limit),
        ]);
      };
      // Not waited for; while Redis is down, the fallback guard learnt it above.
      void attempt(tell, () => undefined);
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
