// Issue 15, deliverable 1: retries made by the resilience layer count against the quota guard like
// any other upstream call, and a retry the guard refuses is not made (the read fails as its attempt did).
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createQuotaGuard } from '../../src/cache/quota-guard.js';
import { createUserCache } from '../../src/cache/user-cache.js';
import { org1Ids } from '../support/rest.js';
import { startResilientGateway, type ResilientGateway } from '../support/resilient-gateway.js';

const ORG = 'org-retries';
const USER = 'query($id: ID!) { user(id: $id) { id } }';

let gw: ResilientGateway;
const cache = createUserCache({
  store: createMemoryStore({ ttlMs: 60_000, maxEntries: 100 }),
  guard: createQuotaGuard({ quota: 3, guardRatio: 1 }),
});
let ids: string[];

beforeAll(async () => {
  gw = await startResilientGateway({ cache: { cache, orgId: ORG } });
  ids = await org1Ids(gw.emulator, 2);
  await gw.emulator.resetStats();
});
afterAll(async () => {
  await gw.close();
  await cache.close();
});

const batchCalls = async () => (await gw.emulator.stats()).calls.batchUsers ?? 0;

it('a read retried once after a 503 costs the guard two calls', async () => {
  await gw.emulator.injectFault({ route: 'batchUsers', status: 503, times: 1 });
  expect((await gw.post(USER, { id: ids[0] })).data).toEqual({ user: { id: ids[0] } });
  expect(await batchCalls()).toBe(2);
  expect(gw.events.retries).toEqual(['batchUsers #2 status 503']);
  expect(cache.guard?.used(ORG)).toBe(2);
});

it('with one call left, the retry is refused: one call upstream, and the read fails as it did', async () => {
  await gw.emulator.injectFault({ route: 'batchUsers', status: 503, times: 1 });
  const answer = await gw.post(USER, { id: ids[1] });
  expect(answer.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
  expect(await batchCalls()).toBe(3);
  expect(gw.events.retries).toEqual(['batchUsers #2 status 503']);
  expect(cache.guard?.used(ORG)).toBe(3);
});
