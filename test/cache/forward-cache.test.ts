import { createAuthenticator, type AuthConfig } from '../../src/auth/authenticate.js';
import { IDENTITY_CLAIMS } from '../../src/auth/scopes.js';
import { type UserCache } from '../../src/cache/user-cache.js';
import { createCache } from '../../src/cache/create-cache.js';
import { DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { createLogger } from '../../src/logger.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import type { TestEmulator } from '../support/emulator.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';
import { restSearch } from '../support/rest.js';
import { emulatorForwardConfig, forgeLike } from '../support/auth.js';
import { totalCalls } from '../support/emulator.js';

// AUTH_MODE=forward with the shared cross-request cache, as createGateway stacks it: each caller's
// verified token gets its own decorator (createCachingUserApi over forCaller(token)) keyed by the
// token's org, all over one UserCache; scope checks (authorizedApi) stay in front of it. Real
// emulator, real gateway; upstream calls are counted exactly from the emulator's stats.
const ids = exampleUserIds();
const silent = createLogger({ level: 'silent' });
const newCache = () =>
  createCache(
    {
      ttlMs: 60_000,
      maxEntries: 10_000,
      coalesceWindowMs: 1,
      quotaPerHour: 8_000,
      quotaGuardRatio: 0.95,
      callerShare: 1,
    },
    silent,
  );
let cache: UserCache = await newCache();
/**
 * The gateways' cache: whichever `cache` the running test made. Forward mode puts a decorator over
 * it per request, so gateways started once see each test's fresh cache.
 */
const currentCache = new Proxy({} as UserCache, { get: (_target, key) => Reflect.get(cache, key) });

/** A forward-mode gateway whose callers share `cache`. */
const startForwardGateway = (options: { emulator?: EmulatorOptions; auth?: AuthConfig } = {}) =>
  startTestGateway({
    ...(options.emulator ? { emulator: options.emulator } : {}),
    cache: { cache: currentCache },
    authenticate: ({ emulator, upstream }) =>
      createAuthenticator(options.auth ?? emulatorForwardConfig(), {
        forCaller: upstream.forCaller,
        upstreamUrl: emulator.url,
      }),
  });

let gw: TestGateway;
let org1Admin: string;
let org1Reader: string;
let org2Admin: string;
let profileOnly: string;

beforeAll(async () => {
  gw = await startForwardGateway();
  org1Admin = await gw.emulator.token('client-demo-admin');
  org1Reader = await gw.emulator.token('client-demo-readonly');
  org2Admin = await gw.emulator.token('client-demo-org2');
  // An org-1 client that may see its profile but not read users.
  await gw.emulator.addClient({
    clientId: 'client-profile-only',
    clientSecret: 'profile-only-secret',
    ownerUserId: DEMO_OWNER_IDS.org1Reader,
    scopes: ['profile:read'],
  });
  profileOnly = await gw.emulator.token('client-profile-only', 'profile-only-secret');
});
afterAll(async () => {
  await gw.close();
  await cache.close();
});
beforeEach(() => gw.emulator.resetStats());
afterEach(async () => {
  await cache.close();
  cache = await newCache();
});

const as = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  gw.post(query, variables, { authorization: `Bearer ${token}` });
const LOOKUP = 'query($id: ID!, $ids: [ID!]!) { user(id: $id) { id orgId } users(ids: $ids) { id } }';
const USERS = 'query($ids: [ID!]!) { users(ids: $ids) { id orgId } }';
const ORG_1_LOOKUP = {
  data: {
    user: { id: ids.userId, orgId: ORG_1_ID },
    users: ids.userIds.map((id) => ({ id })),
  },
};

/** Whether the shared store holds each id under the org. */
const held = async (orgId: string, userIds: readonly string[]) =>
  (await cache.store.getMany(orgId, userIds)).map((user) => user !== undefined);

/** Org 1's users, asked for by an org-1 caller: one batch call, then in the cache. */
async function warmOrg1(emulator: TestEmulator = gw.emulator) {
  expect(await as(org1Admin, LOOKUP, { id: ids.userId, ids: ids.userIds })).toEqual(ORG_1_LOOKUP);
  expect(await held(ORG_1_ID, ids.userIds)).toEqual([true, true, true]);
  await emulator.resetStats();
}

/** The status, WWW-Authenticate header and body of a lookup with `token`. */
async function raw(gateway: TestGateway, token: string) {
  const response = await postJson(
    gateway.url,
    { query: LOOKUP, variables: { id: ids.userId, ids: ids.userIds } },
    { authorization: `Bearer ${token}` },
    gateway.fetch,
  );
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as unknown,
  };
}

describe('AUTH_MODE=forward over the shared cache', () => {
  it('serves a second caller of the same org from the cache: 0 upstream calls', async () => {
    expect(await as(org1Admin, LOOKUP, { id: ids.userId, ids: ids.userIds })).toEqual(ORG_1_LOOKUP);
    const first = await gw.emulator.stats();
    expect(first.calls).toEqual(expect.objectContaining({ token: 0, getUser: 0, batchUsers: 1 }));
    expect(totalCalls(first)).toBe(1);
    expect(first.batchSizes).toEqual([3]);

    await gw.emulator.resetStats();
    // Another API client of org 1 (read-only), with its own token.
    expect(await as(org1Reader, LOOKUP, { id: ids.userId, ids: ids.userIds })).toEqual(ORG_1_LOOKUP);
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    expect(await held(ORG_1_ID, ids.userIds)).toEqual([true, true, true]);
    expect(await held(ORG_2_ID, ids.userIds)).toEqual([false, false, false]);
  });

  it('never serves an org-2 caller org 1’s cached users: it is asked upstream with org 2’s token', async () => {
    await warmOrg1();
    // Upstream with an org-1 token these ids would come back; with org 2's they are omitted.
    expect(await as(org2Admin, LOOKUP, { id: ids.userId, ids: ids.userIds })).toEqual({
      data: { user: null, users: ids.userIds.map(() => null) },
    });
    const stats = await gw.emulator.stats();
    expect(stats.calls).toEqual(expect.objectContaining({ token: 0, batchUsers: 1 }));
    expect(totalCalls(stats)).toBe(1);
    expect(stats.batchSizes).toEqual([3]);
    // Not found is not cached: asked again, asked upstream again, still nothing.
    await gw.emulator.resetStats();
    expect(await as(org2Admin, USERS, { ids: ids.userIds })).toEqual({ data: { users: [null, null, null] } });
    expect((await gw.emulator.stats()).batchSizes).toEqual([3]);

    // The other way round: org 2's users, once cached, are not org 1's.
    const org2Ids = (await restSearch(gw.emulator, 'client-demo-org2', { limit: 2 })).map((u) =>
      String(u['user-id']),
    );
    await gw.emulator.resetStats();
    expect(await as(org2Admin, USERS, { ids: org2Ids })).toEqual({
      data: { users: org2Ids.map((id) => ({ id, orgId: ORG_2_ID })) },
    });
    expect(await held(ORG_2_ID, org2Ids)).toEqual([true, true]);
    expect(await as(org1Reader, USERS, { ids: org2Ids })).toEqual({ data: { users: [null, null] } });
    expect((await gw.emulator.stats()).batchSizes).toEqual([2, 2]);
    expect(await held(ORG_1_ID, org2Ids)).toEqual([false, false]);
    expect(await held(ORG_2_ID, ids.userIds)).toEqual([false, false, false]);
  });

  it('checks scopes before the cache: FORBIDDEN with 0 upstream calls, even for cached users', async () => {
    await warmOrg1();
    const forbidden = {
      message: 'This operation needs one of the scopes: users:read, users, admin',
      extensions: { code: 'FORBIDDEN', requiredScopes: ['users:read', 'users', 'admin'] },
    };
    // A verified org-1 token without users:read.
    const response = await as(profileOnly, LOOKUP, { id: ids.userId, ids: ids.userIds });
    expect(response.data).toBeNull();
    expect(
      response.errors?.map((e) => ({ path: e.path, message: e.message, extensions: e.extensions })),
    ).toEqual([
      { path: ['user'], ...forbidden },
      { path: ['users'], ...forbidden },
    ]);
    // A read-only caller may read the cached user but not change it.
    expect(
      await as(
        org1Reader,
        'mutation($id: ID!) { updateUser(id: $id, input: { nick: "n" }) { __typename } }',
        { id: ids.userId },
      ),
    ).toEqual({ data: { updateUser: { __typename: 'ForbiddenError' } } });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    expect(await held(ORG_1_ID, ids.userIds)).toEqual([true, true, true]);
  });

  it('refuses a forged token with 401 and 0 upstream calls, though what it asks for is cached', async () => {
    await warmOrg1();
    const forgeries = [
      // Org 1's claims and the emulator's key id, signed with a key not in the JWKS.
      await forgeLike(org1Admin),
      // An org-2 client claiming org 1, to read org 1's cached users.
      await forgeLike(org2Admin, { [IDENTITY_CLAIMS.orgId]: ORG_1_ID }),
    ];
    for (const token of forgeries) {
      expect(await raw(gw, token)).toEqual({
        status: 401,
        challenge: 'Bearer',
        body: {
          errors: [{ message: 'The access token is invalid', extensions: { code: 'UNAUTHENTICATED' } }],
        },
      });
    }
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    // The same request with a genuine org-1 token is served from the cache.
    expect(await raw(gw, org1Reader)).toEqual({ status: 200, challenge: null, body: ORG_1_LOOKUP });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('refuses an expired token with 401 and 0 upstream calls, though what it asks for is cached', async () => {
    // A second upstream whose tokens live 1 s (same seed: same org and user ids) and whose clock is
    // 2.1 s behind, so that what it issues has expired by the gateway's clock; its gateway has no
    // clock tolerance and the same process cache, warmed through the first gateway.
    const short = await startForwardGateway({
      emulator: { tokenLifetimeSec: 1, clock: () => Date.now() - 2_100 },
      auth: emulatorForwardConfig({ clockToleranceSec: 0 }),
    });
    try {
      await warmOrg1();
      const token = await short.emulator.token('client-demo-readonly');
      await short.emulator.resetStats();
      expect(await raw(short, token)).toEqual({
        status: 401,
        challenge: 'Bearer',
        body: {
          errors: [{ message: 'The access token has expired', extensions: { code: 'UNAUTHENTICATED' } }],
        },
      });
      expect(totalCalls(await short.emulator.stats())).toBe(0);
      expect(await held(ORG_1_ID, ids.userIds)).toEqual([true, true, true]);
    } finally {
      await short.close();
    }
  });

  it('replaces the cached user for every caller of the org when one of them updates it', async () => {
    const read = 'query($id: ID!) { user(id: $id) { id nick } }';
    const before = await as(org1Reader, read, { id: ids.updateUserId });
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(1);
    const nick = `forward-${Date.now()}`;
    expect(before).not.toEqual({ data: { user: { id: ids.updateUserId, nick } } });

    await gw.emulator.resetStats();
    expect(
      await as(
        org1Admin,
        'mutation($id: ID!, $nick: String!) { updateUser(id: $id, input: { nick: $nick }) { __typename ... on UpdateUserSuccess { user { id nick } } } }',
        { id: ids.updateUserId, nick },
      ),
    ).toEqual({
      data: { updateUser: { __typename: 'UpdateUserSuccess', user: { id: ids.updateUserId, nick } } },
    });
    expect((await gw.emulator.stats()).calls).toEqual(
      expect.objectContaining({ token: 0, changeUser: 1, batchUsers: 0, getUser: 0 }),
    );

    // The other org-1 caller sees the change at once, from the cache.
    await gw.emulator.resetStats();
    expect(await as(org1Reader, read, { id: ids.updateUserId })).toEqual({
      data: { user: { id: ids.updateUserId, nick } },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    // An org-2 caller still does not.
    expect(await as(org2Admin, read, { id: ids.updateUserId })).toEqual({ data: { user: null } });
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(1);
  });
});
