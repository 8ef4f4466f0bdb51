import { createUserCache, type UserCache } from '../../src/cache/user-cache.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import {
  CallerShareExceededError,
  createQuotaGuard,
  DEFAULT_BLOCK_SEC,
} from '../../src/cache/quota-guard.js';
import { UpstreamRateLimitedError, UpstreamUnavailableError } from '../../src/upstream/errors.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { org1Ids } from '../support/rest.js';

const USERS_QUERY = 'query($ids: [ID!]!) { users(ids: $ids) { id name } }';

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

// Finding 3 (the per-caller half): one caller spent the whole org's quota and every other caller was
// refused for an hour. Each authenticated caller may now spend only its share of the org's reads.
describe('a caller’s share of the org’s reads', () => {
  const ORG = 'org-a';
  /** quota 100, reads to 80, a caller to floor(100 × 0.8 × 0.25) = 20; the clock moves when told. */
  const shareGuard = (quota = 100, guardRatio = 0.8, callerShare = 0.25) => {
    const clock = { now: 5_000_000 };
    const guard = createQuotaGuard({ quota, guardRatio, callerShare, now: () => clock.now });
    return { clock, guard };
  };
  const refusal = (fn: () => unknown): UpstreamRateLimitedError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof UpstreamRateLimitedError) return error;
      throw error;
    }
    throw new Error('expected UpstreamRateLimitedError');
  };

  it('is floor(quota × guardRatio × share), at least 1, and follows an announced lower quota', () => {
    expect(shareGuard().guard.callerLimitOf(ORG)).toBe(20);
    expect(shareGuard(8_000, 0.95, 0.25).guard.callerLimitOf(ORG)).toBe(1_900);
    expect(shareGuard(40, 0.95, 0.25).guard.callerLimitOf(ORG)).toBe(9);
    expect(shareGuard(3, 0.95, 0.25).guard.callerLimitOf(ORG)).toBe(1);
    const { clock, guard } = shareGuard();
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 1, { orgLimit: 40 }));
    clock.now += 1_000;
    expect(guard.callerLimitOf(ORG)).toBe(8);
    expect(guard.callerLimitOf('org-b')).toBe(20);
  });

  it('refuses the caller past its share, spending nothing, while other callers and the gateway go on', () => {
    const { guard } = shareGuard();
    for (let i = 0; i < 10; i++) guard.spendRead(ORG, 'searchUsers', 1, 'sub:x');
    guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 10);
    expect(guard.usedBy(ORG, 'sub:x')).toBe(20);
    // A shared call's charge is the caller's only: the org counts it when the call goes out.
    expect(guard.used(ORG)).toBe(10);

    const refused = refusal(() => guard.spendRead(ORG, 'whoami', 1, 'sub:x'));
    expect(refused).toBeInstanceOf(CallerShareExceededError);
    expect(refused.retryAfterSec).toBe(3600);
    expect(refusal(() => guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 1))).toBeInstanceOf(
      CallerShareExceededError,
    );
    expect(guard.usedBy(ORG, 'sub:x')).toBe(20);
    expect(guard.used(ORG)).toBe(10);

    // Another caller has a share of its own; calls naming no caller (AUTH_MODE=none) have none.
    for (let i = 0; i < 20; i++) guard.spendRead(ORG, 'batchUsers', 1, 'sub:y');
    expect(refusal(() => guard.spendRead(ORG, 'batchUsers', 1, 'sub:y'))).toBeInstanceOf(
      CallerShareExceededError,
    );
    guard.spendRead(ORG, 'batchUsers', 50);
    expect(guard.used(ORG)).toBe(80);
    // The org's own limit still stands over every caller, with a plain RATE_LIMITED.
    const orgRefusal = refusal(() => guard.spendRead(ORG, 'batchUsers', 1, 'sub:z'));
    expect(orgRefusal).not.toBeInstanceOf(CallerShareExceededError);
    expect(guard.usedBy(ORG, 'sub:z')).toBe(0);
    // Shares are per org.
    guard.spendRead('org-b', 'batchUsers', 20, 'sub:x');
  });

  it('says when enough of the caller’s own calls leave the window, and serves it again then', () => {
    const { clock, guard } = shareGuard();
    guard.spendRead(ORG, 'batchUsers', 12, 'sub:x');
    clock.now += 600_000;
    guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 8);
    clock.now += 600_000;
    // One more needs the first 12 gone (in 2,400 s); 13 more need all 20 gone (in 3,000 s).
    expect(refusal(() => guard.spendRead(ORG, 'searchUsers', 1, 'sub:x')).retryAfterSec).toBe(2_400);
    expect(refusal(() => guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 13)).retryAfterSec).toBe(3_000);
    // More than the whole share never fits: a full window.
    expect(refusal(() => guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 21)).retryAfterSec).toBe(3_600);
    clock.now += 2_400_000;
    expect(guard.usedBy(ORG, 'sub:x')).toBe(8);
    guard.spendRead(ORG, 'searchUsers', 12, 'sub:x');
    expect(guard.usedBy(ORG, 'sub:x')).toBe(20);
  });

  it('when the org is over its limit too, retryAfter is when both have room', () => {
    const { clock, guard } = shareGuard(100, 0.8, 0.25);
    // Shared-call charges count for the caller only; then the gateway's own reads fill the org.
    guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 20);
    clock.now += 1_200_000;
    guard.spendRead(ORG, 'batchUsers', 80);
    // The caller's share frees in 2,400 s, the org's room only in 3,600 s.
    const both = refusal(() => guard.spendRead(ORG, 'batchUsers', 1, 'sub:x'));
    expect(both).toBeInstanceOf(CallerShareExceededError);
    expect(both.retryAfterSec).toBe(3_600);
    // A caller within its share meets the org's limit alone.
    const org = refusal(() => guard.spendRead(ORG, 'batchUsers', 1, 'sub:y'));
    expect(org).not.toBeInstanceOf(CallerShareExceededError);
    expect(org.retryAfterSec).toBe(3_600);
  });

  it('gives a charge back once when the shared call it paid for was refused before it was made', () => {
    const { clock, guard } = shareGuard();
    const refund = guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 15);
    guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 5);
    expect(guard.usedBy(ORG, 'sub:x')).toBe(20);
    refund();
    refund();
    expect(guard.usedBy(ORG, 'sub:x')).toBe(5);
    // A charge that has left the window has nothing to give back.
    const late = guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 5);
    clock.now += 3_600_000;
    late();
    expect(guard.usedBy(ORG, 'sub:x')).toBe(0);
    guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 20);
  });

  it('refuses a charge while the upstream’s 429 blocks the org, charging nothing', () => {
    const { guard } = shareGuard();
    guard.learn(ORG, new UpstreamRateLimitedError('batchUsers', 30));
    const blocked = refusal(() => guard.chargeCaller(ORG, 'sub:x', 'batchUsers', 1));
    expect(blocked).not.toBeInstanceOf(CallerShareExceededError);
    expect(blocked.retryAfterSec).toBe(30);
    expect(guard.usedBy(ORG, 'sub:x')).toBe(0);
  });

  it('applies no share without callerShare (the guard as it was)', () => {
    const guard = createQuotaGuard({ quota: 100, guardRatio: 0.8 });
    expect(guard.callerLimitOf(ORG)).toBe(Number.POSITIVE_INFINITY);
    guard.spendRead(ORG, 'batchUsers', 80, 'sub:x');
    expect(guard.usedBy(ORG, 'sub:x')).toBe(80);
  });

  it('keeps each caller’s count right while thousands come and go (idle ones are swept)', () => {
    const { clock, guard } = shareGuard();
    for (let i = 0; i < 3_000; i++) guard.chargeCaller(ORG, `sub:${i}`, 'batchUsers', 1);
    clock.now += 3_600_000;
    for (let i = 3_000; i < 6_000; i++) guard.chargeCaller(ORG, `sub:${i}`, 'batchUsers', 1);
    expect(guard.usedBy(ORG, 'sub:0')).toBe(0);
    expect(guard.usedBy(ORG, 'sub:5999')).toBe(1);
  });
});
