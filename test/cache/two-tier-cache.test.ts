// Issue 15, deliverable 2: each replica keeps users it read from Redis in a local tier
// (CACHE_LOCAL_TTL_MS), and an updateUser through any replica drops the user from every replica's
// local tier before it answers. Two gateways on one real redis-server and one emulator; the local
// TTL is a minute, so that only the invalidation, never expiry, can explain a fresh answer.
import { Redis } from 'ioredis';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createRedisStore } from '../../src/cache/redis-store.js';
import { createUserCache } from '../../src/cache/user-cache.js';
import { createWriteLog } from '../../src/cache/write-log.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { org1Ids } from '../support/rest.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { isMissing } from '../support/system-tools.js';

const TTL_MS = 30_000;
const LOCAL_TTL_MS = 60_000;
const USER = 'query($id: ID!) { user(id: $id) { id nick } }';
const RENAME = `mutation($id: ID!, $nick: String) {
  updateUser(id: $id, input: { nick: $nick }) { __typename ... on UpdateUserSuccess { user { nick } } }
}`;

function replica(redisUrl: string) {
  const warnings: unknown[][] = [];
  const writes = createWriteLog();
  const store = createRedisStore({
    url: redisUrl,
    ttlMs: TTL_MS,
    fallback: createMemoryStore({ ttlMs: TTL_MS, maxEntries: 1_000 }),
    logger: { warn: (...args: unknown[]) => warnings.push(args), info: () => {} },
    localTtlMs: LOCAL_TTL_MS,
    writes,
  });
  return { store, warnings, cache: createUserCache({ store, writes }) };
}

const withRedis = isMissing('redis-server') ? describe.skip : describe;

withRedis('two cache tiers on a real redis-server', () => {
  let redis: TestRedis;
  let a: ReturnType<typeof replica>;
  let b: ReturnType<typeof replica>;
  let gwA: TestGateway;
  let gwB: TestGateway;
  let inspect: Redis;
  let ids: string[];

  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = [replica(redis.url), replica(redis.url)];
    await Promise.all([a.store.ready(), b.store.ready()]);
    gwA = await startTestGateway({ cache: { cache: a.cache } });
    // B calls A's emulator: one upstream, as replicas share one.
    gwB = await startTestGateway({ cache: { cache: b.cache }, upstream: { baseUrl: gwA.emulator.url } });
    ids = await org1Ids(gwA.emulator, 3);
    inspect = new Redis(redis.url);
  });

  afterAll(async () => {
    inspect?.disconnect();
    await Promise.all([gwA?.close(), gwB?.close()]);
    await Promise.all([a?.cache.close(), b?.cache.close()]);
    await redis?.kill();
  });

  beforeEach(() => gwA.emulator.resetStats());

  const nickThrough = async (gw: TestGateway, id: string) =>
    ((await gw.post(USER, { id })).data?.user as { nick: string | null }).nick;
  const upstreamReads = async () => (await gwA.emulator.stats()).calls.batchUsers ?? 0;

  it('a user read from Redis is served from the local tier afterwards, without Redis', async () => {
    const id = ids[0] as string;
    const nick = await nickThrough(gwA, id); // upstream → Redis (and A's local tier)
    expect(await upstreamReads()).toBe(1);
    expect(await nickThrough(gwB, id)).toBe(nick); // Redis → B's local tier
    // Gone from Redis: B still answers from its local tier, A too, and the upstream is not asked.
    await inspect.flushall();
    expect(await nickThrough(gwB, id)).toBe(nick);
    expect(await nickThrough(gwA, id)).toBe(nick);
    expect(await upstreamReads()).toBe(1);
  });

  it('a write through A is never served stale by B (or A) once it has returned', async () => {
    const id = ids[1] as string;
    const before = await nickThrough(gwA, id);
    await nickThrough(gwB, id);
    for (let round = 1; round <= 3; round++) {
      const nick = `renamed-${round}-${Date.now()}`;
      const written = await gwA.post(RENAME, { id, nick });
      expect(written.data?.updateUser).toEqual({ __typename: 'UpdateUserSuccess', user: { nick } });
      // At once, through both replicas, concurrently: the new value.
      expect(await Promise.all([nickThrough(gwB, id), nickThrough(gwA, id)])).toEqual([nick, nick]);
    }
    expect(before).not.toMatch(/^renamed-/);
    expect(a.warnings).toEqual([]);
  });

  it('a write through B reaches A the same way', async () => {
    const id = ids[2] as string;
    await Promise.all([nickThrough(gwA, id), nickThrough(gwB, id)]);
    const nick = `from-b-${Date.now()}`;
    await gwB.post(RENAME, { id, nick });
    expect(await nickThrough(gwA, id)).toBe(nick);
  });

  it('a replica that never acknowledges delays the write by the wait only, and is warned of once', async () => {
    // A subscriber that hears the invalidations but never answers them, as a stuck replica would.
    const mute = new Redis(redis.url);
    await mute.subscribe('xdr-gw:invalidate');
    try {
      const id = ids[0] as string;
      for (const nick of [`mute-1-${Date.now()}`, `mute-2-${Date.now()}`]) {
        const written = await gwA.post(RENAME, { id, nick });
        expect(written.data?.updateUser).toEqual({ __typename: 'UpdateUserSuccess', user: { nick } });
        expect(await nickThrough(gwB, id)).toBe(nick);
      }
      expect(a.warnings.map(([fields]) => (fields as { event: string }).event)).toEqual([
        'cache_invalidation_unacknowledged',
      ]);
    } finally {
      mute.disconnect();
    }
  });
});
