// Finding 6: one caller's bad input failed other callers. Ids of 20,000 characters joined coalesced
// batches shared with other callers' ids, and the upstream's 431 failed 13–38 of 40 concurrent
// legitimate reads; a forged cursor carried 5,000 search_after values upstream; `updateUser(id: "..")`
// reached the upstream as `POST …/users/..`. Input is now checked before it is shared or sent.
import type { UserCache } from '../../src/cache/user-cache.js';
import { createCache } from '../../src/cache/create-cache.js';
import { createLogger } from '../../src/logger.js';
import type { UpstreamEvents } from '../../src/upstream/events.js';
import type { EmulatorStats } from '../support/emulator.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';
import { type GraphQLResponse } from '../support/http.js';

const USERS = 'query($ids: [ID!]!) { users(ids: $ids) { id email } }';
const USER = 'query($id: ID!) { user(id: $id) { id email } }';
const BOTH =
  'query($ids: [ID!]!, $id: ID!) { users(ids: $ids) { id email } one: user(id: $id) { id email } }';
const UPDATE =
  'mutation($id: ID!) { updateUser(id: $id, input: { nick: "n" }) { __typename ... on ValidationError { fields { path message } } } }';
const SEARCH =
  'query($after: String, $filter: UserFilter) { searchUsers(first: 2, after: $after, filter: $filter) { totalCount pageInfo { endCursor } } }';
const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }';

let cache: UserCache;
let gw: TestGateway;
/** Every upstream HTTP attempt, as the upstream layer saw it (the emulator never sees a 431'd one). */
let attempts: { route: string; status: number; batchSize?: number }[] = [];
let users: { id: string; email: string | null }[];
let ids: string[];

const events: UpstreamEvents = {
  request: ({ route, status, batchSize }) =>
    void attempts.push({ route, status, ...(batchSize === undefined ? {} : { batchSize }) }),
  tokenFetch() {},
  retry() {},
  breakerState() {},
};

beforeAll(async () => {
  // The shared cross-request cache, as `npm start` runs it; a window long enough that concurrent
  // requests' misses surely share their batches, and no quota guard (shares are another test's).
  cache = await createCache(
    {
      ttlMs: 60_000,
      maxEntries: 1_000,
      coalesceWindowMs: 25,
      quotaPerHour: 0,
      quotaGuardRatio: 0.95,
      callerShare: 0.25,
    },
    createLogger({ level: 'silent' }),
  );
  gw = await startTestGateway({ cache: { cache, orgId: 'org-under-test' }, upstream: { events } });
  const rest = await restSearch(gw.emulator, 'client-demo-admin', { limit: 12 });
  users = rest.map((u) => ({
    id: String(u['user-id']),
    email: (u['user-email'] as string | undefined) ?? null,
  }));
  ids = users.map((u) => u.id);
});

beforeEach(async () => {
  await cache.store.deleteMany('org-under-test', ids);
  await gw.emulator.resetStats();
  attempts = [];
});

afterAll(async () => {
  await gw.close();
  await cache.close();
});

const totalCalls = (stats: EmulatorStats) => Object.values(stats.calls).reduce((a, b) => a + b, 0);
const idError = (path: (string | number)[], argument: string, problem: string, column: number) => ({
  message: `${argument} is not a valid user id: ${problem}`,
  locations: [{ line: 1, column }],
  path,
  extensions: { code: 'BAD_USER_INPUT', argument },
});

const LONG = 'x'.repeat(20_000);
const TOO_LONG = 'it is longer than 256 characters';
const FORBIDDEN = 'it contains a control character or one of / \\ ? # %';

it('refuses bad ids before they join a shared batch: every concurrent read of another caller succeeds', async () => {
  const ten = ids.slice(0, 10);
  const expected = users.slice(0, 10);
  // B's requests, each refused with BAD_USER_INPUT naming the argument, and what each must answer.
  const hostile: [string, Record<string, unknown>, GraphQLResponse][] = [
    [USER, { id: LONG }, { data: { user: null }, errors: [idError(['user'], 'id', TOO_LONG, 19)] }],
    [USER, { id: '..' }, { data: { user: null }, errors: [idError(['user'], 'id', 'it is ".."', 19)] }],
    [USER, { id: '.' }, { data: { user: null }, errors: [idError(['user'], 'id', 'it is "."', 19)] }],
    [USER, { id: '' }, { data: { user: null }, errors: [idError(['user'], 'id', 'it is empty', 19)] }],
    [
      USER,
      { id: `${ten[0]}/../x` },
      { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] },
    ],
    [USER, { id: 'a\u0000b' }, { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] }],
    [USER, { id: 'a\u0085b' }, { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] }],
    [USER, { id: '%2e%2e' }, { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] }],
    [USER, { id: 'a?id=b' }, { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] }],
    [USER, { id: 'a#b' }, { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] }],
    [USER, { id: 'a\\b' }, { data: { user: null }, errors: [idError(['user'], 'id', FORBIDDEN, 19)] }],
    [
      USER,
      { id: '\uD800x' },
      { data: { user: null }, errors: [idError(['user'], 'id', 'it is not valid Unicode', 19)] },
    ],
    // A list is refused whole (none of its ids is looked up), naming the first bad index.
    [
      USERS,
      { ids: [ten[1], ten[2], ten[3], LONG, '..'] },
      { data: null, errors: [idError(['users'], 'ids[3]', TOO_LONG, 23)] },
    ],
    [
      USERS,
      { ids: ['..', ten[4]] },
      { data: null, errors: [idError(['users'], 'ids[0]', 'it is ".."', 23)] },
    ],
  ];
  const requests: Promise<void>[] = [];
  let served = 0;
  for (let round = 0; round < 20; round++) {
    const [query, variables, answer] = hostile[round % hostile.length] as (typeof hostile)[number];
    requests.push(gw.post(query, variables).then((res) => expect(res).toEqual(answer)));
    // A's reads: all ten ids each time, so that however they interleave they need one batch in all.
    for (const k of [0, 1]) {
      const one = expected[(round + k) % 10] as (typeof expected)[number];
      requests.push(
        gw.post(BOTH, { ids: ten, id: one.id }).then((res) => {
          expect(res).toEqual({ data: { users: expected, one } });
          served++;
        }),
      );
    }
  }
  await Promise.all(requests);
  expect(served).toBe(40);

  // One batch call in all, of A's ten ids: no bad id was ever sent, nor refused by the upstream.
  const stats = await gw.emulator.stats();
  expect(stats.calls).toMatchObject({ batchUsers: 1, getUser: 0 });
  expect(stats.batchSizes).toEqual([10]);
  expect(attempts.filter((a) => a.route !== 'token')).toEqual([
    { route: 'batchUsers', status: 200, batchSize: 10 },
  ]);
});

it('keeps every shared batch call small enough for the upstream, whatever valid ids a caller sends', async () => {
  // 100 ids of the longest valid length (26 KB of query if sent in one call: a 431 for everyone in it).
  const long = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}${'y'.repeat(253)}`);
  const ten = ids.slice(0, 10);
  const expected = users.slice(0, 10);
  const [hostile, ...reads] = await Promise.all([
    gw.post(USERS, { ids: long }),
    ...Array.from({ length: 10 }, () => gw.post(USERS, { ids: ten })),
  ]);
  expect(hostile).toEqual({ data: { users: long.map(() => null) } });
  for (const read of reads) expect(read).toEqual({ data: { users: expected } });

  const stats = await gw.emulator.stats();
  const batches = attempts.filter((a) => a.route !== 'token');
  // Every call answered 200; each id was sent once; no call carried more than 23 of the long ids.
  expect(batches.every((a) => a.route === 'batchUsers' && a.status === 200)).toBe(true);
  // The same calls on both sides; concurrent calls may finish in another order than they arrived.
  const sorted = (sizes: (number | undefined)[]) => [...sizes].sort((a, b) => (a ?? 0) - (b ?? 0));
  expect(sorted(batches.map((a) => a.batchSize))).toEqual(sorted(stats.batchSizes));
  expect(stats.batchSizes.reduce((a, b) => a + b, 0)).toBe(110);
  expect(Math.max(...stats.batchSizes)).toBeLessThanOrEqual(33);
  expect(stats.calls).toMatchObject({ batchUsers: stats.batchSizes.length, getUser: 0 });
});

it('refuses a bad id of one `_entities` representation in its own slot only', async () => {
  const representations = [ids[0], '..', LONG, ids[1], '..', 42, { not: 'an id' }].map((id) => ({
    __typename: 'User',
    id,
  }));
  const res = await gw.post(ENTITIES, { r: representations });
  const slot = (i: number, problem: string) => ({
    message: `representations[${i}].id is not a valid user id: ${problem}`,
    locations: [{ line: 1, column: 23 }],
    path: ['_entities', i],
    extensions: { code: 'BAD_USER_INPUT', argument: `representations[${i}].id` },
  });
  expect(res).toEqual({
    data: { _entities: [users[0], null, null, users[1], null, null, null] },
    errors: [slot(1, 'it is ".."'), slot(2, TOO_LONG), slot(4, 'it is ".."'), slot(6, 'it is not a string')],
  });
  // "42" is a well-formed id that no user has: null, looked up with the good ones in one call.
  expect((await gw.emulator.stats()).batchSizes).toEqual([3]);

  // Literal representations (no variables) are named by their index too.
  await gw.emulator.resetStats();
  const literal = await gw.post(
    `{ _entities(representations: [{ __typename: "User", id: "${ids[2]}" }, { __typename: "User", id: "a/b" }]) { ... on User { id } } }`,
  );
  expect(literal.data).toEqual({ _entities: [{ id: ids[2] }, null] });
  expect(literal.errors?.map((e) => [e.path, e.extensions])).toEqual([
    [['_entities', 1], { code: 'BAD_USER_INPUT', argument: 'representations[1].id' }],
  ]);
  expect((await gw.emulator.stats()).batchSizes).toEqual([1]);
});

it('answers updateUser with a bad id by a ValidationError on ["id"], with no upstream call', async () => {
  for (const [id, problem] of [
    ['..', 'it is ".."'],
    [LONG, TOO_LONG],
    ['a/b', FORBIDDEN],
  ]) {
    expect(await gw.post(UPDATE, { id })).toEqual({
      data: {
        updateUser: {
          __typename: 'ValidationError',
          fields: [{ path: ['id'], message: `Not a valid user id: ${problem}` }],
        },
      },
    });
  }
  expect(totalCalls(await gw.emulator.stats())).toBe(0);
});

describe('cursors and filters are bounded', () => {
  const decode = (cursor: string) =>
    JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  const encode = (cursor: unknown) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
  const refused = (message: string, argument?: string) => ({
    data: null,
    errors: [
      {
        message,
        locations: [{ line: 1, column: 46 }],
        path: ['searchUsers'],
        extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) },
      },
    ],
  });

  it('refuses a forged cursor with too many or too long search_after values, with no upstream call', async () => {
    const page = await gw.post(SEARCH, {});
    const real = decode((page.data?.searchUsers as { pageInfo: { endCursor: string } }).pageInfo.endCursor);
    expect(real.a).toHaveLength(2);
    await gw.emulator.resetStats();

    const forged = [
      { ...real, a: Array.from({ length: 5_000 }, (_, i) => i) },
      { ...real, a: [1, 2, 3, 4, 5] },
      { ...real, a: ['z'.repeat(513), 'id'] },
      { ...real, a: [{ nested: true }, 'id'] },
    ];
    for (const cursor of forged) {
      expect(await gw.post(SEARCH, { after: encode(cursor) })).toEqual(
        refused('`after` is not a cursor of searchUsers'),
      );
    }
    // Over 1,024 characters, refused before it is even decoded.
    expect(await gw.post(SEARCH, { after: 'A'.repeat(1_025) })).toEqual(
      refused('`after` is not a cursor of searchUsers'),
    );
    expect(totalCalls(await gw.emulator.stats())).toBe(0);

    // Within the bounds (4 values, 512 characters each), a cursor goes upstream, which judges it.
    const bounded = await gw.post(SEARCH, {
      after: encode({ ...real, a: ['z'.repeat(512), 'id', null, 4] }),
    });
    expect(bounded.errors?.map((e) => e.message)).toEqual(['The User API rejected the input']);
    expect((await gw.emulator.stats()).calls.searchUsers).toBe(1);
  });

  it('refuses filter strings over 256 characters, with no upstream call', async () => {
    for (const key of ['email', 'idp', 'query']) {
      expect(await gw.post(SEARCH, { filter: { [key]: 'q'.repeat(257) } })).toEqual(
        refused(`filter.${key} must be at most 256 characters, got 257`, `filter.${key}`),
      );
    }
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    const fits = await gw.post(SEARCH, { filter: { query: 'q'.repeat(256) } });
    expect(fits).toEqual({ data: { searchUsers: { totalCount: 0, pageInfo: { endCursor: null } } } });
    expect((await gw.emulator.stats()).calls.searchUsers).toBe(1);
  });
});
