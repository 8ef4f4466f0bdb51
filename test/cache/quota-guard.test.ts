import { createUserCache, type UserCache } from '../../src/cache/caching-user-api.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createQuotaGuard } from '../../src/cache/quota-guard.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { org1Ids, USERS_QUERY } from './support.js';

let cache: UserCache;
let gw: TestGateway;
let ids: string[];

beforeAll(async () => {
  cache = createUserCache({
    store: createMemoryStore({ ttlMs: 60_000, maxEntries: 1_000 }),
    // A quota of 5 calls, reads stopping at 60%: 3 reads, then the last 2 are kept for writes.
    guard: createQuotaGuard({ quota: 5, guardRatio: 0.6 }),
  });
  gw = await startTestGateway({ cache: { cache, orgId: 'org-under-test' } });
  ids = await org1Ids(gw.emulator, 10);
});

afterAll(async () => {
  await gw.close();
  await cache.close();
});

it('near the quota, a miss fails fast with RATE_LIMITED and no upstream call; cached users still serve', async () => {
  for (const id of ids.slice(0, 3)) await gw.post(USERS_QUERY, { ids: [id] });
  expect((await gw.emulator.stats()).calls.batchUsers).toBe(3);
  await gw.emulator.resetStats();

  const refused = await gw.post(USERS_QUERY, { ids: [ids[3]] });
  expect(refused).toEqual({
    data: null,
    errors: [
      {
        message: 'The User API rate limit for this organisation is exhausted',
        locations: [{ line: 1, column: 23 }],
        path: ['users'],
        extensions: { code: 'RATE_LIMITED', retryAfter: 3600 },
      },
    ],
  });

  const cached = await gw.post(USERS_QUERY, { ids: ids.slice(0, 3) });
  expect((cached.data?.users as { id: string }[]).map((u) => u.id)).toEqual(ids.slice(0, 3));

  // Writes may still use the share kept for them.
  const updated = await gw.post(
    'mutation($id: ID!) { updateUser(id: $id, input: { nick: "q" }) { __typename } }',
    { id: ids[0] },
  );
  expect(updated).toEqual({ data: { updateUser: { __typename: 'UpdateUserSuccess' } } });
  expect((await gw.emulator.stats()).calls).toMatchObject({ batchUsers: 0, getUser: 0, changeUser: 1 });
});
