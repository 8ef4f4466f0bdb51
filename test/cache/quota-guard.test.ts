import { createUserCache, type UserCache } from '../../src/cache/caching-user-api.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createQuotaGuard, DEFAULT_BLOCK_SEC } from '../../src/cache/quota-guard.js';
import { UpstreamRateLimitedError, UpstreamUnavailableError } from '../../src/upstream/errors.js';
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

describe('learning from the upstream’s 429', () => {
  const ORG = 'org-a';
  /** A guard on a fake clock that only moves when a test moves it. */
  const fakeClockGuard = (quota: number, guardRatio = 0.8) => {
    const clock = { now: 1_000_000 };
    const guard = createQuotaGuard({ quota, guardRatio, now: () => clock.now });
    return { clock, guard };
  };
  const refusal = (fn: () => void): UpstreamRateLimitedError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof UpstreamRateLimitedError) return error;
      throw error;
    }
    throw new Error('expected UpstreamRateLimitedError');
  };

  it('blocks reads and writes of the org until Retry-After has passed, counting down on the clock', () => {
    const { clock, guard } = fakeClockGuard(1_000);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 30));

    expect(refusal(() => guard.spendRead(ORG, 'batchUsers', 1)).retryAfterSec).toBe(30);
    expect(refusal(() => guard.spendWrite(ORG, 'changeUser', 1)).retryAfterSec).toBe(30);
    clock.now += 29_500;
    expect(refusal(() => guard.spendRead(ORG, 'searchUsers', 1)).retryAfterSec).toBe(1);
    // Refused calls are not counted: nothing went out.
    expect(guard.used(ORG)).toBe(0);

    clock.now += 500;
    guard.spendRead(ORG, 'batchUsers', 1);
    guard.spendWrite(ORG, 'changeUser', 1);
    expect(guard.used(ORG)).toBe(2);
    // No limit was announced: the configured quota still applies.
    expect(guard.quotaOf(ORG)).toBe(1_000);
  });

  it('adopts an announced X-Ratelimit-Org-Limit below the configured quota, for that org only', () => {
    const { clock, guard } = fakeClockGuard(1_000, 0.8);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 1, { orgLimit: 10 }));
    expect(guard.quotaOf(ORG)).toBe(10);
    expect(guard.quotaOf('org-b')).toBe(1_000);
    clock.now += 1_000;

    // Reads stop at 80% of the announced 10, writes may use all 10.
    for (let i = 0; i < 8; i++) guard.spendRead(ORG, 'batchUsers', 1);
    expect(refusal(() => guard.spendRead(ORG, 'batchUsers', 1)).retryAfterSec).toBe(3600);
    guard.spendWrite(ORG, 'changeUser', 2);
    expect(() => guard.spendWrite(ORG, 'changeUser', 1)).toThrow(UpstreamRateLimitedError);
    // Another org keeps the configured quota.
    for (let i = 0; i < 20; i++) guard.spendRead('org-b', 'batchUsers', 1);
  });

  it('never raises the quota above the configured one; a later announcement replaces an earlier one', () => {
    const { guard } = fakeClockGuard(100);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 0, { orgLimit: 5_000 }));
    expect(guard.quotaOf(ORG)).toBe(100);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 0, { orgLimit: 20 }));
    expect(guard.quotaOf(ORG)).toBe(20);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 0, { orgLimit: 50 }));
    expect(guard.quotaOf(ORG)).toBe(50);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 0, { orgLimit: 8_000 }));
    expect(guard.quotaOf(ORG)).toBe(100);
  });

  it('blocks for DEFAULT_BLOCK_SEC when the 429 named no Retry-After; a later, longer block wins', () => {
    const { clock, guard } = fakeClockGuard(1_000);
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', undefined));
    expect(refusal(() => guard.spendRead(ORG, 'batchUsers', 1)).retryAfterSec).toBe(DEFAULT_BLOCK_SEC);
    guard.learn(ORG, new UpstreamRateLimitedError('searchUsers', 5));
    expect(refusal(() => guard.spendRead(ORG, 'batchUsers', 1)).retryAfterSec).toBe(DEFAULT_BLOCK_SEC);
    guard.learn(ORG, new UpstreamRateLimitedError('searchUsers', 600));
    expect(refusal(() => guard.spendRead(ORG, 'batchUsers', 1)).retryAfterSec).toBe(600);
    clock.now += 600_000;
    guard.spendRead(ORG, 'batchUsers', 1);
  });

  it('ignores failures that are not the User API’s 429: other errors and the token endpoint’s 429', () => {
    const { guard } = fakeClockGuard(1_000);
    guard.learn(ORG, new UpstreamRateLimitedError('token', 300, { orgLimit: 1 }));
    guard.learn(ORG, new UpstreamUnavailableError('batchUsers', 'down', 503));
    guard.learn(ORG, new Error('anything'));
    guard.learn(ORG, undefined);
    guard.spendRead(ORG, 'batchUsers', 1);
    expect(guard.quotaOf(ORG)).toBe(1_000);
  });
});
