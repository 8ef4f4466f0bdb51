// Finding 3 (the per-caller half): one caller spent 7,600 of the org's calls in 15 s, and every other
// caller's uncached read was then refused for an hour. Now no authenticated caller may spend more than
// QUOTA_CALLER_SHARE of the org's hourly reads: past it, that caller alone is refused.
import type { Authenticate } from '../../src/auth/authenticate.js';
import { authorizedApi, callerKeyOf } from '../../src/auth/authorized-api.js';
import { ANONYMOUS, type Caller } from '../../src/auth/caller.js';
import type { UserCache } from '../../src/cache/user-cache.js';
import { createCache } from '../../src/cache/create-cache.js';
import { createLogger } from '../../src/logger.js';
import type { CallOptions, UserApi } from '../../src/upstream/user-api.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { type GraphQLResponse } from '../support/http.js';
import { org1Ids } from '../support/rest.js';

const ORG = 'org-under-test';
const USER_QUERY = 'query($id: ID!) { user(id: $id) { id } }';

/** Callers as a verified JWT would make them, named by a test header; no header: AUTH_MODE=none. */
const byHeader: Authenticate = async (request) => {
  const subject = request.headers.get('x-test-subject');
  const clientId = request.headers.get('x-test-client') ?? undefined;
  if (subject === null) return { caller: ANONYMOUS };
  return { caller: { kind: 'jwt', subject, clientId, orgId: ORG, scopes: ['users', 'profile'] } };
};

let cache: UserCache;
let gw: TestGateway;
let ids: string[];

beforeAll(async () => {
  // Only the date stands still (timers, I/O and microtasks run as usual): the guard's window does not
  // move under the test, so each retryAfter is exact.
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  // Reads stop at floor(40 × 0.95) = 38 an hour; one caller's share is floor(38 × 0.25) = 9.
  cache = await createCache(
    {
      ttlMs: 60_000,
      maxEntries: 1_000,
      coalesceWindowMs: 1,
      quotaPerHour: 40,
      quotaGuardRatio: 0.95,
      callerShare: 0.25,
    },
    createLogger({ level: 'silent' }),
  );
  gw = await startTestGateway({ cache: { cache, orgId: ORG }, authenticate: () => byHeader });
  ids = await org1Ids(gw.emulator, 40);
});

afterAll(async () => {
  await gw.close();
  await cache.close();
  jest.useRealTimers();
});

const read = (id: string, headers: Record<string, string>) => gw.post(USER_QUERY, { id }, headers);
const found = (id: string): GraphQLResponse => ({ data: { user: { id } } });

it('refuses a caller past its share with RATE_LIMITED + retryAfter while others keep being served', async () => {
  const x = { 'x-test-subject': 'alice' };
  const y = { 'x-test-subject': 'bob' };
  for (const id of ids.slice(0, 9)) expect(await read(id as string, x)).toEqual(found(id as string));
  expect((await gw.emulator.stats()).calls.batchUsers).toBe(9);

  expect(await read(ids[9] as string, x)).toEqual({
    data: { user: null },
    errors: [
      {
        message: 'The User API rate limit for this organisation is exhausted',
        locations: [{ line: 1, column: 19 }],
        path: ['user'],
        extensions: { code: 'RATE_LIMITED', retryAfter: 3600 },
      },
    ],
  });
  const search = await gw.post('{ searchUsers(first: 1) { totalCount } }', {}, x);
  expect(search.errors?.map((e) => e.extensions)).toEqual([{ code: 'RATE_LIMITED', retryAfter: 3600 }]);
  // Refused before any call, and without spending the org's quota.
  expect((await gw.emulator.stats()).calls).toMatchObject({ batchUsers: 9, searchUsers: 0, getUser: 0 });
  expect(cache.guard?.used(ORG)).toBe(9);
  // What is cached still serves the refused caller.
  expect(await read(ids[0] as string, x)).toEqual(found(ids[0] as string));

  // Another caller of the org has a share of its own, with the same limit.
  for (const id of ids.slice(9, 18)) expect(await read(id as string, y)).toEqual(found(id as string));
  expect((await read(ids[18] as string, y)).errors?.[0]?.extensions).toEqual({
    code: 'RATE_LIMITED',
    retryAfter: 3600,
  });
  expect((await gw.emulator.stats()).calls).toMatchObject({ batchUsers: 18, searchUsers: 0 });

  // A caller with no subject is known by its client id, apart from every other.
  for (const id of ids.slice(18, 20)) {
    expect(await read(id as string, { 'x-test-subject': 'unknown', 'x-test-client': 'c-1' })).toEqual(
      found(id as string),
    );
  }
  expect(cache.guard?.usedBy(ORG, 'client:c-1')).toBe(2);
  expect((await gw.emulator.stats()).calls.batchUsers).toBe(20);
});

it('does not limit the anonymous caller (AUTH_MODE=none) by a share, only by the org-wide guard', async () => {
  await gw.emulator.resetStats();
  // 20 reads spent above; the org's 38 leave 18, twice a caller's share.
  for (const id of ids.slice(20, 38)) expect(await read(id as string, {})).toEqual(found(id as string));
  expect((await gw.emulator.stats()).calls.batchUsers).toBe(18);
  const refused = await read(ids[38] as string, {});
  expect(refused.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 3600 });
  expect((await gw.emulator.stats()).calls.batchUsers).toBe(18);
});

describe('authorizedApi names the caller on every call', () => {
  /** A UserApi that records the options of each call. */
  const recording = () => {
    const seen: (CallOptions | undefined)[] = [];
    const record = async (options?: CallOptions) => {
      seen.push(options);
      throw new Error('not reached');
    };
    const api: UserApi = {
      getUser: (_id, options) => record(options),
      getUsers: (_ids, options) => record(options),
      searchUsers: (_params, options) => record(options),
      updateUser: (_id, _changes, options) => record(options),
      whoami: (options) => record(options),
    };
    return { api, seen };
  };
  const jwt = (subject: string, clientId?: string): Caller => ({
    kind: 'jwt',
    subject,
    ...(clientId ? { clientId } : {}),
    scopes: ['users', 'profile'],
  });

  it('by subject, else client id; never for the anonymous caller; a caller option given above is replaced', async () => {
    expect(callerKeyOf(jwt('alice', 'c-1'))).toBe('sub:alice');
    expect(callerKeyOf({ ...jwt('alice'), kind: 'forward' })).toBe('sub:alice');
    expect(callerKeyOf(jwt('unknown', 'c-1'))).toBe('client:c-1');
    expect(callerKeyOf(jwt('', 'c-1'))).toBe('client:c-1');
    expect(callerKeyOf(jwt('unknown'))).toBe('sub:unknown');
    expect(callerKeyOf(ANONYMOUS)).toBeUndefined();

    const { api, seen } = recording();
    const signal = new AbortController().signal;
    const alice = authorizedApi(api, jwt('alice'));
    const calls = [
      alice.getUser('u', { signal, caller: 'sub:mallory' }),
      alice.getUsers(['u'], { signal }),
      alice.searchUsers({}),
      alice.updateUser('u', { name: 'n' }),
      alice.whoami(),
      authorizedApi(api, ANONYMOUS).getUsers(['u'], { signal, caller: 'sub:mallory' }),
    ];
    await Promise.allSettled(calls);
    expect(seen).toEqual([
      { signal, caller: 'sub:alice' },
      { signal, caller: 'sub:alice' },
      { caller: 'sub:alice' },
      { caller: 'sub:alice' },
      { caller: 'sub:alice' },
      { signal },
    ]);
  });
});
