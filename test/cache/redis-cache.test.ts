import { Redis } from 'ioredis';
import { createUserCache } from '../../src/cache/user-cache.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createRedisStore, type RedisUserStore } from '../../src/cache/redis-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { org1Ids } from '../support/rest.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { isMissing } from '../support/system-tools.js';

const USERS_QUERY = 'query($ids: [ID!]!) { users(ids: $ids) { id name } }';

const TTL_MS = 30_000;

/** Log lines of one replica's cache, by level. */
interface Captured {
  warn: unknown[][];
  info: unknown[][];
}

function replica(redisUrl: string) {
  const logs: Captured = { warn: [], info: [] };
  const store: RedisUserStore = createRedisStore({
    url: redisUrl,
    ttlMs: TTL_MS,
    fallback: createMemoryStore({ ttlMs: TTL_MS, maxEntries: 1_000 }),
    logger: {
      warn: (...args: unknown[]) => logs.warn.push(args),
      info: (...args: unknown[]) => logs.info.push(args),
    },
  });
  return { store, logs, cache: createUserCache({ store }) };
}

let redis: TestRedis;
let a: ReturnType<typeof replica>;
let b: ReturnType<typeof replica>;
let gwA: TestGateway;
let gwB: TestGateway;
let ids: string[];
let orgId: string;
let inspect: Redis;

// A real redis-server, which the test command provides where it can (test/support/system-tools.ts).
const withRedis = isMissing('redis-server') ? describe.skip : describe;

withRedis('with a real redis-server', () => {
  beforeAll(async () => {
    redis = await startRedis();
    a = replica(redis.url);
    b = replica(redis.url);
    await Promise.all([a.store.ready(), b.store.ready()]);
    // Two replicas of the gateway on one Redis. Each has its own emulator, seeded alike: the same org
    // and users, and separate call counters, so B's counter shows what B alone asked for.
    gwA = await startTestGateway({ cache: { cache: a.cache } });
    gwB = await startTestGateway({ cache: { cache: b.cache } });
    ids = await org1Ids(gwA.emulator, 100);
    const me = await gwA.post('{ me { organization { id } } }');
    orgId = (me.data?.me as { organization: { id: string } }).organization.id;
    inspect = new Redis(redis.url);
  });

  afterAll(async () => {
    inspect.disconnect();
    await Promise.all([gwA.close(), gwB.close()]);
    await Promise.all([a.cache.close(), b.cache.close()]);
    await redis.kill();
  });

  beforeEach(async () => {
    await Promise.all([gwA.emulator.resetStats(), gwB.emulator.resetStats()]);
  });

  const idsOf = (res: { data?: Record<string, unknown> | null }) =>
    (res.data?.users as { id: string }[]).map((u) => u.id);

  describe('Redis cache shared by two replicas', () => {
    it('users read by replica A are served to replica B for 0 upstream calls', async () => {
      const first = await gwA.post(USERS_QUERY, { ids });
      expect(idsOf(first)).toEqual(ids);
      expect((await gwA.emulator.stats()).batchSizes).toEqual([100]);

      const second = await gwB.post(USERS_QUERY, { ids });
      expect(second).toEqual(first);
      expect((await gwB.emulator.stats()).calls).toMatchObject({ batchUsers: 0, getUser: 0 });
      expect(a.logs.warn).toEqual([]);
    });

    it('keys carry the organisation and expire after the TTL', async () => {
      const key = `xdr-gw:user:${orgId}:${ids[0]}`;
      expect(JSON.parse((await inspect.get(key)) ?? 'null')).toMatchObject({ id: ids[0], orgId });
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TTL_MS);
    });

    it('an update through replica A is what replica B serves next, for no call', async () => {
      const id = ids[5] as string;
      await gwB.post(USERS_QUERY, { ids: [id] });
      const updated = await gwA.post(
        'mutation($id: ID!) { updateUser(id: $id, input: { name: "Changed On A" }) { __typename } }',
        { id },
      );
      expect(updated).toEqual({ data: { updateUser: { __typename: 'UpdateUserSuccess' } } });
      await gwB.emulator.resetStats();

      const seen = await gwB.post(USERS_QUERY, { ids: [id] });
      expect(seen).toEqual({ data: { users: [{ id, name: 'Changed On A' }] } });
      expect((await gwB.emulator.stats()).calls.batchUsers).toBe(0);
    });

    it('Redis gone: the replica falls back to memory with one warning and keeps serving', async () => {
      await redis.kill();
      const some = ids.slice(10, 20);
      const first = await gwB.post(USERS_QUERY, { ids: some });
      expect(idsOf(first)).toEqual(some);
      // Nothing cached in memory yet: one call, then memory serves.
      expect((await gwB.emulator.stats()).batchSizes).toEqual([10]);
      const again = await gwB.post(USERS_QUERY, { ids: some });
      expect(again).toEqual(first);
      await gwB.post(USERS_QUERY, { ids: some });
      expect((await gwB.emulator.stats()).calls.batchUsers).toBe(1);

      expect(b.logs.warn).toHaveLength(1);
      expect(b.logs.warn[0]?.[0]).toMatchObject({ event: 'cache_redis_down' });
    });
  });
});
