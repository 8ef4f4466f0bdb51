import { parse } from 'graphql';
import { getSchema } from '../../src/schema/index.js';
import { operationCost } from '../../src/server/operation-budget.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';
import { totalCalls } from '../support/emulator.js';

// The per-operation budget (LIMIT_MAX_IDS_PER_OPERATION, LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION).
// Findings 2 and 3: USERS_MAX_IDS capped one field, not the operation, so 150 aliased `users`
// lists of 100 ids each ran (four such requests at once exhausted the heap) and cost 150 batch
// calls of the org's hourly quota. Every refusal here happens before execution: 0 upstream calls.

const JSON_TYPES = ['application/json', 'application/graphql-response+json'];
/** 100 distinct, well-formed user ids of block `block` (none of them exists). */
const hundredIds = (block: number) =>
  Array.from(
    { length: 100 },
    (_, i) => `idb-amp:0d3e5f00-a11c-4e00-8000-${String(block * 100 + i).padStart(12, '0')}`,
  );

async function post(
  gw: TestGateway,
  query: string,
  variables?: Record<string, unknown>,
  accept = 'application/graphql-response+json',
) {
  const response = await postJson(gw.url, { query, variables }, { accept }, gw.fetch);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const idsError = (requested: number, max: number) => ({
  message: `This operation asks for ${requested} user ids; LIMIT_MAX_IDS_PER_OPERATION allows ${max}`,
  extensions: { code: 'BAD_USER_INPUT', limit: 'LIMIT_MAX_IDS_PER_OPERATION', max, requested },
});
const callsError = (requested: number, max: number) => ({
  message: `This operation may need ${requested} upstream calls; LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION allows ${max}`,
  extensions: { code: 'BAD_USER_INPUT', limit: 'LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION', max, requested },
});

describe('the default budget: 500 ids and 10 upstream calls per operation', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.resetStats());

  it.each(JSON_TYPES)(
    'refuses the request of finding 2 (150 aliased users lists of 100 ids in variables) with 400 to %s',
    async (accept) => {
      const definitions = Array.from({ length: 150 }, (_, i) => `$v${i}: [ID!]!`).join(', ');
      const fields = Array.from({ length: 150 }, (_, i) => `a${i}: users(ids: $v${i}) { id }`);
      // Short distinct ids, as in the finding, so that the request fits the body cap.
      const variables = Object.fromEntries(
        Array.from({ length: 150 }, (_, i) => [
          `v${i}`,
          Array.from({ length: 100 }, (_, j) => (i * 100 + j).toString(36)),
        ]),
      );
      const query = `query Flood(${definitions}) { ${fields.join(' ')} }`;
      // The finding's request was about 95 KB: under MAX_BODY_BYTES, so the budget must refuse it.
      expect(JSON.stringify({ query, variables }).length).toBeGreaterThan(90_000);
      expect(JSON.stringify({ query, variables }).length).toBeLessThan(102_400);
      expect(await post(gw, query, variables, accept)).toEqual({
        status: 400,
        body: { errors: [idsError(15_000, 500), callsError(150, 10)] },
      });
      expect(totalCalls(await gw.emulator.stats())).toBe(0);
    },
  );

  it('runs an operation at the budget: 500 distinct ids in five lists and five searches, 10 calls', async () => {
    const query = `query($a: [ID!]!, $b: [ID!]!, $c: [ID!]!, $d: [ID!]!, $e: [ID!]!) {
      a: users(ids: $a) { id } b: users(ids: $b) { id } c: users(ids: $c) { id }
      d: users(ids: $d) { id } e: users(ids: $e) { id }
      s1: searchUsers(first: 1) { totalCount } s2: searchUsers(first: 1) { totalCount }
      s3: searchUsers(first: 1) { totalCount } s4: searchUsers(first: 1) { totalCount }
      s5: searchUsers(first: 1) { totalCount }
    }`;
    const variables = {
      a: hundredIds(0),
      b: hundredIds(1),
      c: hundredIds(2),
      d: hundredIds(3),
      e: hundredIds(4),
    };
    const { status, body } = await post(gw, query, variables);
    expect(status).toBe(200);
    expect(body['errors']).toBeUndefined();
    const stats = await gw.emulator.stats();
    expect(stats.batchSizes).toEqual([100, 100, 100, 100, 100]);
    expect(stats.calls.searchUsers).toBe(5);
  });

  it('refuses one call more (a sixth search), before any call', async () => {
    const query = `query($a: [ID!]!, $b: [ID!]!, $c: [ID!]!, $d: [ID!]!, $e: [ID!]!) {
      a: users(ids: $a) { id } b: users(ids: $b) { id } c: users(ids: $c) { id }
      d: users(ids: $d) { id } e: users(ids: $e) { id }
      ${Array.from({ length: 6 }, (_, i) => `s${i}: searchUsers(first: 1) { totalCount }`).join(' ')}
    }`;
    const variables = {
      a: hundredIds(0),
      b: hundredIds(1),
      c: hundredIds(2),
      d: hundredIds(3),
      e: hundredIds(4),
    };
    expect(await post(gw, query, variables)).toEqual({ status: 400, body: { errors: [callsError(11, 10)] } });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('counts calls by distinct ids: the same 100 ids five times are 500 ids and one batch', async () => {
    const query = `query($ids: [ID!]!) {
      a: users(ids: $ids) { id } b: users(ids: $ids) { id } c: users(ids: $ids) { id }
      d: users(ids: $ids) { id } e: users(ids: $ids) { id }
    }`;
    const { status } = await post(gw, query, { ids: hundredIds(0) });
    expect(status).toBe(200);
    expect((await gw.emulator.stats()).batchSizes).toEqual([100]);
  });
});

describe('what counts, with a budget of 10 ids and 3 upstream calls', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      app: { security: { limits: { maxIdsPerOperation: 10, maxUpstreamCallsPerOperation: 3 } } },
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.resetStats());

  const ids = (n: number, from = 0) => hundredIds(0).slice(from, from + n);
  const literal = (list: string[]) => `[${list.map((id) => JSON.stringify(id)).join(', ')}]`;
  const lookups = (n: number, prefix = 'u') =>
    ids(n)
      .map((id, i) => `${prefix}${i}: user(id: ${JSON.stringify(id)}) { id }`)
      .join(' ');
  const representations = (n: number) => ids(n).map((id) => ({ __typename: 'User', id }));

  it.each<[string, string, Record<string, unknown> | undefined, number]>([
    ['a users list of 11 literal ids', `{ users(ids: ${literal(ids(11))}) { id } }`, undefined, 11],
    [
      'a users list of 11 ids in a variable',
      'query($ids: [ID!]!) { users(ids: $ids) { id } }',
      { ids: ids(11) },
      11,
    ],
    [
      'a users list of variables',
      `query($a: ID!, $b: ID!) { users(ids: [$a, $b, $a, $b, $a, $b, $a, $b, $a, $b, $a]) { id } }`,
      { a: 'x', b: 'y' },
      11,
    ],
    ['11 aliased user lookups', `{ ${lookups(11)} }`, undefined, 11],
    [
      '11 lookups of one id (every occurrence counts)',
      `{ ${Array.from({ length: 11 }, (_, i) => `u${i}: user(id: "same") { id }`).join(' ')} }`,
      undefined,
      11,
    ],
    [
      'lookups spread from fragments, nested and inline',
      `{ ...A ... on Query { ...B } ... { x: user(id: "x") { id } } }
       fragment A on Query { ${lookups(5, 'a')} }
       fragment B on Query { ...A }`,
      undefined,
      11,
    ],
    ['the same field twice under one name', `{ ${lookups(6)} ${lookups(6)} }`, undefined, 12],
    [
      '_entities with 11 representations in a variable',
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }',
      { r: representations(11) },
      11,
    ],
    [
      '_entities with representations inline',
      `{ _entities(representations: [${ids(11)
        .map((id) => `{ __typename: "User", id: ${JSON.stringify(id)} }`)
        .join(', ')}]) { ... on User { id } } }`,
      undefined,
      11,
    ],
    [
      'user, users, _entities and me together',
      `query($r: [_Any!]!) { ${lookups(3)} users(ids: ${literal(ids(3, 3))}) { id } _entities(representations: $r) { __typename } me { user { id } } }`,
      { r: representations(4) },
      11,
    ],
    [
      'aliases under @skip(if: true) (the worst case counts)',
      `{ ${lookups(5)} ... @skip(if: true) { ${lookups(6, 'v')} } }`,
      undefined,
      11,
    ],
  ])('refuses %s: too many ids, no upstream call', async (_case, query, variables, requested) => {
    expect(await post(gw, query, variables)).toEqual({
      status: 400,
      body: { errors: [idsError(requested, 10)] },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it.each<[string, string, number]>([
    ['four searches', Array.from({ length: 4 }, (_, i) => `s${i}: searchUsers { totalCount }`).join(' '), 4],
    [
      'three `me` (a whoami each, and one batch for their user)',
      'a: me { user { id } } b: me { user { id } } c: me { user { id } }',
      4,
    ],
  ])('refuses %s: too many upstream calls, no upstream call', async (_case, fields, requested) => {
    expect(await post(gw, `{ ${fields} }`)).toEqual({
      status: 400,
      body: { errors: [callsError(requested, 3)] },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('refuses four updateUser changes in one mutation: no change is made', async () => {
    const fields = Array.from(
      { length: 4 },
      (_, i) => `u${i}: updateUser(id: "${ids(1)[0]}", input: { nick: "n${i}" }) { __typename }`,
    ).join(' ');
    expect(await post(gw, `mutation { ${fields} }`)).toEqual({
      status: 400,
      body: { errors: [callsError(4, 3)] },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('counts a single id given for a list as one, and runs an operation at exactly the budget', async () => {
    const query = `query($one: [ID!]!, $nine: [ID!]!) {
      a: users(ids: $one) { id } b: users(ids: $nine) { id }
      s1: searchUsers(first: 1) { totalCount } s2: searchUsers(first: 1) { totalCount }
    }`;
    const variables = { one: 'single', nine: ids(9) };
    const { status, body } = await post(gw, query, variables);
    expect(status).toBe(200);
    expect(body['errors']).toBeUndefined();
    expect((body['data'] as { a: unknown[] }).a).toEqual([null]);
    const stats = await gw.emulator.stats();
    expect(stats.batchSizes).toEqual([10]);
    expect(stats.calls.searchUsers).toBe(2);
    // One more id is over it.
    expect(await post(gw, query.replace('s2:', 'c: user(id: "z") { id } s2:'), variables)).toEqual({
      status: 400,
      body: { errors: [idsError(11, 10)] },
    });
  });

  it('leaves an unknown operation and variables that do not coerce to the executor', async () => {
    const coercion = await post(gw, 'query($ids: [ID!]!) { users(ids: $ids) { id } }', { ids: [{ no: 1 }] });
    expect(coercion.status).toBe(400);
    expect((coercion.body['errors'] as { extensions: unknown }[])[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });
});

describe('operationCost', () => {
  const cost = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    operationCost({ schema: getSchema(), document: parse(query), variableValues: variables, operationName });

  it('walks each fragment once however often it is spread: 10^6 lookups counted exactly', () => {
    // Seven levels of fragments, each but the last spreading the next ten times: a walk that
    // expanded every spread would visit a million fields.
    const levels = Array.from({ length: 7 }, (_, level) =>
      level === 6
        ? 'fragment F6 on Query { user(id: "one") { id } }'
        : `fragment F${level} on Query { ${Array.from({ length: 10 }, () => `...F${level + 1}`).join(' ')} }`,
    );
    expect(cost(`{ ...F0 } ${levels.join(' ')}`)).toEqual({
      ids: 1_000_000,
      upstreamCalls: 1,
      users: 1_000_000,
    });
  });

  it('counts `me` as one id and a whoami; all `me` lookups share one distinct id', () => {
    expect(cost('{ a: me { user { id } } b: me { organization { id } } }')).toEqual({
      ids: 2,
      upstreamCalls: 3,
      users: 2,
    });
  });

  it('counts the batch calls long ids really take: 50 ids of 256 characters need 3 calls, not 1', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `${i}`.padStart(256, 'x'));
    expect(cost('query($ids: [ID!]!) { users(ids: $ids) { id } }', { ids })).toEqual({
      ids: 50,
      upstreamCalls: 3,
      users: 50,
    });
  });

  it('selects the named operation', () => {
    const document = 'query A { searchUsers { totalCount } } query B { user(id: "x") { id } }';
    expect(cost(document, undefined, 'A')).toEqual({ ids: 0, upstreamCalls: 1, users: 20 });
    expect(cost(document, undefined, 'B')).toEqual({ ids: 1, upstreamCalls: 1, users: 1 });
    expect(cost(document, undefined, 'C')).toBeUndefined();
  });

  it('weighs an operation by the users it may hold: its ids, each search page, each changed user', () => {
    const query = `query ($n: Int) {
      a: searchUsers(first: $n) { totalCount }
      b: searchUsers { totalCount }
      c: searchUsers(first: 500) { totalCount }
      d: users(ids: ["x", "y", "x"]) { id }
    }`;
    // 7 + 20 (the default page) + 100 (the most a page holds) + 3 ids.
    expect(cost(query, { n: 7 })).toEqual({ ids: 3, upstreamCalls: 4, users: 130 });
    expect(cost('mutation { updateUser(id: "x", input: { enabled: false }) { __typename } }')).toEqual({
      ids: 0,
      upstreamCalls: 1,
      users: 1,
    });
  });

  it('has no answer for variables that do not coerce', () => {
    expect(cost('query($ids: [ID!]!) { users(ids: $ids) { id } }', { ids: null })).toBeUndefined();
  });
});
