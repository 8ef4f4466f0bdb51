import { createCachingUserApi } from '../../src/cache/caching-user-api.js';
import { createUserCache, type UserCache } from '../../src/cache/user-cache.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createQuotaGuard, type QuotaGuard } from '../../src/cache/quota-guard.js';
import { ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { createUpstream, type Upstream } from '../../src/upstream/create-upstream.js';
import { UpstreamRateLimitedError } from '../../src/upstream/errors.js';
import type { UpstreamResponse } from '../../src/upstream/http.js';
import { parseRateLimitReset, statusFailure } from '../../src/upstream/responses.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { type GraphQLResponse } from '../support/http.js';
import { org1Ids } from '../support/rest.js';

const USERS_QUERY = 'query($ids: [ID!]!) { users(ids: $ids) { id name } }';

// The emulator allows 5 calls per org and hour; the gateway is told 1000, so only the upstream's
// 429 and its headers can teach the guard that the org is out of calls.
const EMULATOR_QUOTA = 5;
const HOUR_MS = 3_600_000;
const CONFIGURED_QUOTA = 1_000;
const UPDATE = 'mutation($id: ID!) { updateUser(id: $id, input: { nick: "h" }) { __typename } }';

const tooManyResponse = (headers: UpstreamResponse['headers']): UpstreamResponse => ({
  status: 429,
  headers,
  body: Buffer.from('{"error":"too_many_requests","error_description":"slow down"}'),
});

describe('the 429 carries the X-Ratelimit-Org-* headers on the typed error', () => {
  it('reads Retry-After and the limit', () => {
    const error = statusFailure(
      'batchUsers',
      tooManyResponse({
        'retry-after': '42',
        'x-ratelimit-org-limit': '8000',
      }),
    );
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error).toMatchObject({ route: 'batchUsers', retryAfterSec: 42, orgLimit: 8000 });
  });

  it('leaves out junk values instead of failing', () => {
    for (const junk of ['', 'lots', '-5', '5.5', '0x10', '8000;w=3600', '1e3', '99999999999999999999']) {
      const error = statusFailure(
        'getUser',
        tooManyResponse({
          'retry-after': '7',
          'x-ratelimit-org-limit': junk,
        }),
      );
      expect(error).toMatchObject({ retryAfterSec: 7, orgLimit: undefined });
    }
    // A limit of 0 is no limit anyone could use: ignored.
    expect(statusFailure('getUser', tooManyResponse({ 'x-ratelimit-org-limit': '0' }))).toMatchObject({
      retryAfterSec: undefined,
      orgLimit: undefined,
    });
    // Repeated headers: the first one counts.
    expect(
      statusFailure('getUser', tooManyResponse({ 'x-ratelimit-org-limit': ['12', '13'] })),
    ).toMatchObject({
      orgLimit: 12,
    });
  });

  it('falls back to an X-Ratelimit-Org-Reset (delta or epoch seconds) only when Retry-After is absent', () => {
    expect(
      statusFailure('getUser', tooManyResponse({ 'retry-after': '3', 'x-ratelimit-org-reset': '900' })),
    ).toMatchObject({ retryAfterSec: 3 });
    expect(statusFailure('getUser', tooManyResponse({ 'x-ratelimit-org-reset': '900' }))).toMatchObject({
      retryAfterSec: 900,
    });
    expect(statusFailure('getUser', tooManyResponse({ 'x-ratelimit-org-reset': 'soon' }))).toMatchObject({
      retryAfterSec: undefined,
    });
    const now = 1_700_000_000_000;
    expect(parseRateLimitReset('1700000045', now)).toBe(45);
    expect(parseRateLimitReset('1699999000', now)).toBe(0);
  });
});

describe('through the gateway, against the emulator’s rate limit', () => {
  const clock = { now: 1_000_000 };
  let guard: QuotaGuard;
  let cache: UserCache;
  let gw: TestGateway;
  let ids: string[];

  beforeAll(async () => {
    guard = createQuotaGuard({ quota: CONFIGURED_QUOTA, now: () => clock.now });
    cache = createUserCache({ store: createMemoryStore({ ttlMs: HOUR_MS * 2, maxEntries: 1_000 }), guard });
    gw = await startTestGateway({
      emulator: { rateLimit: { quota: EMULATOR_QUOTA, windowMs: HOUR_MS } },
      cache: { cache, orgId: ORG_1_ID },
    });
    ids = await org1Ids(gw.emulator, 20);
    // Reading the ids spent one of the org's calls.
    await gw.emulator.resetRateLimit();
  });

  afterAll(async () => {
    await gw.close();
    await cache.close();
  });

  const calls = async () => {
    const { calls: counted } = await gw.emulator.stats();
    await gw.emulator.resetStats();
    return counted;
  };
  const rateLimited = (response: GraphQLResponse) => {
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    const extensions = response.errors?.[0]?.extensions ?? {};
    expect(extensions.code).toBe('RATE_LIMITED');
    return extensions.retryAfter;
  };

  it('a 429 costs one call; then misses and writes of the org fail fast with no call until Retry-After', async () => {
    // The emulator's 5 calls, one uncached user each.
    for (const id of ids.slice(0, EMULATOR_QUOTA)) {
      expect(await gw.post(USERS_QUERY, { ids: [id] })).toEqual({ data: { users: [expect.any(Object)] } });
    }
    expect((await calls()).batchUsers).toBe(EMULATOR_QUOTA);
    expect(guard.quotaOf(ORG_1_ID)).toBe(CONFIGURED_QUOTA);

    // The 6th: the upstream says 429, which costs exactly that one call.
    const retryAfter = rateLimited(await gw.post(USERS_QUERY, { ids: [ids[5]] }));
    expect(await calls()).toMatchObject({ batchUsers: 1, getUser: 0, changeUser: 0 });
    expect(typeof retryAfter).toBe('number');
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(HOUR_MS / 1000);
    // The announced X-Ratelimit-Org-Limit (5) is below the configured 1000: adopted.
    expect(guard.quotaOf(ORG_1_ID)).toBe(EMULATOR_QUOTA);

    // Now every miss fails fast, with the upstream's Retry-After (the guard's clock has not moved).
    for (const id of ids.slice(6, 12)) {
      expect(rateLimited(await gw.post(USERS_QUERY, { ids: [id] }))).toBe(retryAfter);
    }
    expect(rateLimited(await gw.post(USERS_QUERY, { ids: ids.slice(12, 20) }))).toBe(retryAfter);
    // A write would only burn a call too.
    expect(rateLimited(await gw.post(UPDATE, { id: ids[0] }))).toBe(retryAfter);
    expect(Object.values(await calls()).every((n) => n === 0)).toBe(true);

    // Cached users still serve, at no cost.
    const cached = await gw.post(USERS_QUERY, { ids: ids.slice(0, EMULATOR_QUOTA) });
    expect((cached.data?.users as { id: string }[]).map((u) => u.id)).toEqual(ids.slice(0, EMULATOR_QUOTA));
    expect(Object.values(await calls()).every((n) => n === 0)).toBe(true);
  });

  it('after Retry-After (and the hour) calls go out again, within the adopted quota', async () => {
    // The guard's clock passes the block and its own window; the emulator's window, on real time,
    // is reset to stand for the same hour.
    clock.now += HOUR_MS;
    await gw.emulator.resetRateLimit();

    // Reads may now use 95% of the announced 5 calls: 4.
    for (const id of ids.slice(6, 10)) {
      expect(await gw.post(USERS_QUERY, { ids: [id] })).toEqual({ data: { users: [expect.any(Object)] } });
    }
    expect((await calls()).batchUsers).toBe(4);
    // The 5th read is the guard's own refusal, before the upstream would have said 429.
    expect(rateLimited(await gw.post(USERS_QUERY, { ids: [ids[10]] }))).toBe(HOUR_MS / 1000);
    expect((await calls()).batchUsers).toBe(0);
    // The last call of the announced quota is kept for writes.
    expect(await gw.post(UPDATE, { id: ids[0] })).toEqual({
      data: { updateUser: { __typename: 'UpdateUserSuccess' } },
    });
    expect(await calls()).toMatchObject({ batchUsers: 0, changeUser: 1 });
  });
});

describe('one guard, two orgs', () => {
  let emulator: TestEmulator;
  let upstreams: Upstream[];
  let cache: UserCache;

  beforeAll(async () => {
    emulator = await startTestEmulator({ rateLimit: { quota: EMULATOR_QUOTA, windowMs: HOUR_MS } });
    const upstream = (clientId: string, clientSecret: string) =>
      createUpstream({ baseUrl: emulator.url, clientId, clientSecret, timeoutMs: 5_000, resilience: false });
    upstreams = [
      upstream('client-demo-admin', 'demo-admin-secret'),
      upstream('client-demo-org2', 'demo-org2-secret'),
    ];
    cache = createUserCache({
      store: createMemoryStore({ ttlMs: HOUR_MS, maxEntries: 1_000 }),
      guard: createQuotaGuard({ quota: CONFIGURED_QUOTA }),
    });
  });

  afterAll(async () => {
    for (const upstream of upstreams) await upstream.close();
    await emulator.close();
    await cache.close();
  });

  it('a 429 for org 2 blocks org 2 only', async () => {
    const [one, two] = upstreams as [Upstream, Upstream];
    const org1 = createCachingUserApi(one.api, { cache, orgId: ORG_1_ID });
    const org2 = createCachingUserApi(two.api, { cache, orgId: ORG_2_ID });
    const batchCalls = async () => {
      const { calls } = await emulator.stats();
      await emulator.resetStats();
      return calls.batchUsers;
    };

    // Unknown ids are never cached: every lookup is a call.
    for (let i = 0; i < EMULATOR_QUOTA; i++) expect(await org2.getUsers([`nobody-${i}`])).toEqual([null]);
    expect(await batchCalls()).toBe(EMULATOR_QUOTA);
    const first = await org2.getUsers(['nobody-x']).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(UpstreamRateLimitedError);
    expect(first).toMatchObject({ route: 'batchUsers', orgLimit: EMULATOR_QUOTA });
    expect(await batchCalls()).toBe(1);

    await expect(org2.getUsers(['nobody-y'])).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    await expect(org2.searchUsers({ limit: 1 })).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    expect((await emulator.stats()).calls).toMatchObject({ batchUsers: 0, searchUsers: 0 });

    // Org 1 has its own quota upstream and in the guard.
    expect(await org1.getUsers(['nobody-z'])).toEqual([null]);
    expect((await org1.searchUsers({ limit: 1 })).users).toHaveLength(1);
    expect((await emulator.stats()).calls).toMatchObject({ batchUsers: 1, searchUsers: 1 });
    expect(cache.guard?.quotaOf(ORG_1_ID)).toBe(CONFIGURED_QUOTA);
    expect(cache.guard?.quotaOf(ORG_2_ID)).toBe(EMULATOR_QUOTA);
  });
});
