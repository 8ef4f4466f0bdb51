import { ConfigError, loadConfig } from '../../src/config.js';

describe('cache settings', () => {
  it('default to a 30 s in-memory cache with the quota guard at 95% of 8000 calls an hour', () => {
    expect(loadConfig({}).cache).toEqual({
      ttlMs: 30_000,
      maxEntries: 10_000,
      coalesceWindowMs: 1,
      localTtlMs: 1_000,
      redisUrl: undefined,
      quotaPerHour: 8_000,
      quotaGuardRatio: 0.95,
      callerShare: 0.25,
      fallbackReplicas: 1,
    });
  });

  it('are read from the environment, and CACHE_ENABLED=false turns the cache off', () => {
    expect(
      loadConfig({
        CACHE_TTL_MS: '5000',
        CACHE_MAX_ENTRIES: '10',
        CACHE_COALESCE_WINDOW_MS: '0',
        CACHE_LOCAL_TTL_MS: '0',
        REDIS_URL: 'redis://cache:6379/1',
        QUOTA_PER_HOUR: '0',
        QUOTA_GUARD_RATIO: '0.9',
        QUOTA_FALLBACK_REPLICAS: '3',
      }).cache,
    ).toEqual({
      ttlMs: 5_000,
      maxEntries: 10,
      coalesceWindowMs: 0,
      localTtlMs: 0,
      redisUrl: 'redis://cache:6379/1',
      quotaPerHour: 0,
      quotaGuardRatio: 0.9,
      callerShare: 0.25,
      fallbackReplicas: 3,
    });
    expect(loadConfig({ CACHE_ENABLED: 'false' }).cache).toBeUndefined();
  });

  it('refuses bad values, naming each', () => {
    expect(() =>
      loadConfig({
        CACHE_TTL_MS: '0',
        REDIS_URL: 'http://x',
        QUOTA_GUARD_RATIO: '1.5',
        CACHE_ENABLED: 'maybe',
      }),
    ).toThrow(
      new ConfigError([
        'CACHE_ENABLED must be true or false, got "maybe"',
        'CACHE_TTL_MS must be an integer 1-3600000, got "0"',
        'REDIS_URL must be a redis:// or rediss:// URL',
        'QUOTA_GUARD_RATIO must be a number in (0, 1], got "1.5"',
      ]),
    );
  });
});
