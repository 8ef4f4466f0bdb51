import { createUserCache, type UserCache } from '../../src/cache/user-cache.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { org1Ids } from '../support/rest.js';

const USERS_QUERY = 'query($ids: [ID!]!) { users(ids: $ids) { id name } }';

const TTL_MS = 30_000;
let clock = 1_000_000;
let cache: UserCache;
let gw: TestGateway;
let ids: string[];

beforeAll(async () => {
  cache = createUserCache({
    store: createMemoryStore({ ttlMs: TTL_MS, maxEntries: 1_000, now: () => clock }),
  });
  gw = await startTestGateway({ cache: { cache } });
  ids = await org1Ids(gw.emulator, 300);
});

afterAll(async () => {
  await gw.close();
  await cache.close();
});

beforeEach(async () => {
  clock += 10 * TTL_MS; // every test starts with an expired (empty) cache
  await gw.emulator.clearFaults();
  await gw.emulator.resetStats();
});

const namesOf = (res: { data?: Record<string, unknown> | null }) =>
  (res.data?.users as { id: string; name: string | null }[]).map((u) => u.id);

describe('cross-request cache (memory)', () => {
  it('a second request for the same users within the TTL costs 0 batch calls', async () => {
    const some = ids.slice(0, 120);
    const first = await gw.post(USERS_QUERY, { ids: some });
    expect(namesOf(first)).toEqual(some);
    // The org is learnt once from whoami (on the first request of the process or after it).
    expect((await gw.emulator.stats()).batchSizes).toEqual([100, 20]);

    await gw.emulator.resetStats();
    clock += TTL_MS - 1;
    const second = await gw.post(USERS_QUERY, { ids: some });
    expect(second).toEqual(first);
    expect((await gw.emulator.stats()).calls).toMatchObject({ batchUsers: 0, getUser: 0, whoami: 0 });
  });

  it('entries expire after the TTL: the next read calls the upstream again for exactly those', async () => {
    await gw.post(USERS_QUERY, { ids: ids.slice(0, 10) });
    clock += TTL_MS / 2;
    await gw.post(USERS_QUERY, { ids: ids.slice(10, 20) });
    await gw.emulator.resetStats();

    // The first ten are past their TTL, the second ten are not.
    clock += TTL_MS / 2 + 1;
    const res = await gw.post(USERS_QUERY, { ids: ids.slice(0, 20) });
    expect(namesOf(res)).toEqual(ids.slice(0, 20));
    expect((await gw.emulator.stats()).batchSizes).toEqual([10]);
  });

  it('50 concurrent operations missing on the same 100 ids share 1 batch call', async () => {
    const hundred = ids.slice(100, 200);
    // The shared call stays in flight while the 50 requests arrive, however slow this machine is.
    await gw.emulator.injectFault({ route: 'batchUsers', delayMs: 300 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => gw.post(USERS_QUERY, { ids: hundred })),
    );
    for (const res of responses) expect(namesOf(res)).toEqual(hundred);
    const stats = await gw.emulator.stats();
    expect(stats.calls.batchUsers).toBe(1);
    expect(stats.batchSizes).toEqual([100]);
  });

  it('operations on overlapping ids only ask the upstream for what nobody is already fetching', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', delayMs: 200 });
    const [a, b] = await Promise.all([
      gw.post(USERS_QUERY, { ids: ids.slice(0, 60) }),
      gw.post(USERS_QUERY, { ids: ids.slice(30, 90) }),
    ]);
    expect(namesOf(a!)).toEqual(ids.slice(0, 60));
    expect(namesOf(b!)).toEqual(ids.slice(30, 90));
    const { batchSizes } = await gw.emulator.stats();
    // 90 distinct ids, each sent once (in one or two calls depending on arrival).
    expect(batchSizes.reduce((sum, n) => sum + n, 0)).toBe(90);
  });

  it('after updateUser, the next request sees the new value and costs no call', async () => {
    const id = ids[7] as string;
    await gw.post(USERS_QUERY, { ids: [id] });
    const updated = await gw.post(
      'mutation($id: ID!) { updateUser(id: $id, input: { name: "Cached Then Changed" }) { ... on UpdateUserSuccess { user { id name } } } }',
      { id },
    );
    expect(updated).toEqual({ data: { updateUser: { user: { id, name: 'Cached Then Changed' } } } });
    await gw.emulator.resetStats();

    const after = await gw.post(USERS_QUERY, { ids: [id] });
    expect(after).toEqual({ data: { users: [{ id, name: 'Cached Then Changed' }] } });
    const single = await gw.post('query($id: ID!) { user(id: $id) { name } }', { id });
    expect(single).toEqual({ data: { user: { name: 'Cached Then Changed' } } });
    expect((await gw.emulator.stats()).calls).toMatchObject({ batchUsers: 0, getUser: 0 });
  });

  it('a failed updateUser still evicts the user: the next read asks the upstream', async () => {
    const id = ids[8] as string;
    await gw.post(USERS_QUERY, { ids: [id] });
    await gw.emulator.injectFault({ route: 'changeUser', status: 500, times: 1 });
    const failed = await gw.post(
      'mutation($id: ID!) { updateUser(id: $id, input: { nick: "x" }) { __typename } }',
      { id },
    );
    expect(failed.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    await gw.emulator.resetStats();
    await gw.post(USERS_QUERY, { ids: [id] });
    expect((await gw.emulator.stats()).batchSizes).toEqual([1]);
  });
});
