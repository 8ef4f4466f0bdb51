import { readFileSync } from 'node:fs';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { GRAPHQL_RESPONSE, postJson } from '../support/http.js';
import { totalCalls } from '../support/emulator.js';

// Operation limits and HTTP-level refusals, with the default settings. Every refusal happens before
// execution, so each costs 0 upstream calls.
const ids = exampleUserIds();
const FRAGMENT = readFileSync(new URL('../../schema/operations/fragments.graphql', import.meta.url), 'utf8');
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());
beforeEach(() => gw.emulator.resetStats());

/** Status, the Allow header and parsed body of a response. */
async function answer(response: Response) {
  const text = await response.text();
  return {
    status: response.status,
    allow: response.headers.get('allow'),
    body: text ? (JSON.parse(text) as unknown) : null,
  };
}
/** Any request; `url` is appended to the endpoint. */
const raw = async (init: RequestInit & { url?: string }) =>
  answer(await gw.fetch(`${gw.url}${init.url ?? ''}`, init));
const post = async (body: unknown) => answer(await postJson(gw.url, body, GRAPHQL_RESPONSE, gw.fetch));
const refused = (
  message: string,
  code = 'GRAPHQL_VALIDATION_FAILED',
  limit?: { limit: string; max: number },
) => ({
  status: 400,
  allow: null,
  body: { errors: [{ message, extensions: { code, ...limit } }] },
});
/** A refusal by one of the operation limits, whose extensions name its setting. */
const overLimit = (message: string, limit: string, max: number, code = 'GRAPHQL_VALIDATION_FAILED') =>
  refused(message, code, { limit, max });
const aliased = (n: number, field: (i: number) => string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

describe('legitimate work passes the default limits', () => {
  it('100 aliased user lookups with the full fragment: one operation, ⌈ids/100⌉ batch calls', async () => {
    const query = `${aliased(100, (i) => `user(id: "${i < 3 ? ids.userIds[i] : `missing-${i}`}") { ...UserFields }`)} ${FRAGMENT}`;
    const response = await post({ query });
    expect(response.status).toBe(200);
    const data = (response.body as { data: Record<string, unknown> }).data;
    expect(Object.keys(data)).toHaveLength(100);
    expect(data['a0']).toEqual(expect.objectContaining({ id: ids.userIds[0] }));
    expect(data['a99']).toBeNull();
    expect((await gw.emulator.stats()).batchSizes).toEqual([100]);
  });

  it('a users list at its 500-id cap, ids inline', async () => {
    const list = Array.from(
      { length: 500 },
      (_, i) => `"idb-amp:0d3e5f00-a11c-4e00-8000-${String(i).padStart(12, '0')}"`,
    );
    const response = await post({
      query: `{ users(ids: [${list.join(', ')}]) { ...UserFields } } ${FRAGMENT}`,
    });
    expect(response.status).toBe(200);
    expect((response.body as { data: { users: unknown[] } }).data.users).toHaveLength(500);
    expect((await gw.emulator.stats()).batchSizes).toEqual([100, 100, 100, 100, 100]);
  });

  it('a full search page of 100 with every user field', async () => {
    const query = `{ searchUsers(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ...UserFields } } } } ${FRAGMENT}`;
    const response = await post({ query });
    expect(response.status).toBe(200);
    expect((await gw.emulator.stats()).calls.searchUsers).toBe(1);
  });
});

describe('abuse is refused before execution (0 upstream calls)', () => {
  afterEach(async () => expect(totalCalls(await gw.emulator.stats())).toBe(0));

  it('1,000 aliased user lookups', async () => {
    expect(await post({ query: aliased(1000, (i) => `user(id: "${i}") { id }`) })).toEqual(
      overLimit(
        'Syntax Error: Token limit of 5000 exceeded.',
        'LIMIT_MAX_TOKENS',
        5000,
        'GRAPHQL_PARSE_FAILED',
      ),
    );
  });

  it('more than 150 aliases', async () => {
    expect(await post({ query: aliased(151, (i) => `user(id: "${i}") { id }`) })).toEqual(
      overLimit('Syntax Error: Aliases limit of 150 exceeded, found 151.', 'LIMIT_MAX_ALIASES', 150),
    );
  });

  // Finding 9: graphql-armor exempts `__typename` from the alias count by default; 1,600 of them
  // passed. Every alias counts now.
  it('more than 150 aliases of __typename', async () => {
    expect(await post({ query: aliased(1600, () => '__typename') })).toEqual(
      overLimit('Syntax Error: Aliases limit of 150 exceeded, found 1600.', 'LIMIT_MAX_ALIASES', 150),
    );
  });

  it('more than 5,000 tokens', async () => {
    expect(await post({ query: `{ ${'__typename '.repeat(5001)}}` })).toEqual(
      overLimit(
        'Syntax Error: Token limit of 5000 exceeded.',
        'LIMIT_MAX_TOKENS',
        5000,
        'GRAPHQL_PARSE_FAILED',
      ),
    );
  });

  it('nesting deeper than 10', async () => {
    const deep = '{ me { user { idpMappings { idp } } organization { id } } }'.replace(
      'idp }',
      'idp __typename }',
    );
    // The schema is shallow; fragments on a recursive path are how depth is abused. Inline fragments
    // count as levels in graphql-armor's depth.
    const nested = `{ me { ${'... on Viewer { '.repeat(10)}user { id }${' }'.repeat(10)} } }`;
    expect((await post({ query: deep })).status).toBe(200);
    await gw.emulator.resetStats();
    expect(await post({ query: nested })).toEqual(
      overLimit('Syntax Error: Query depth limit of 10 exceeded, found 13.', 'LIMIT_MAX_DEPTH', 10),
    );
  });

  it('more than 50 directives', async () => {
    expect(await post({ query: aliased(51, () => '__typename @include(if: true)') })).toEqual(
      overLimit('Syntax Error: Directives limit of 50 exceeded, found 51.', 'LIMIT_MAX_DIRECTIVES', 50),
    );
  });

  it('a cost over 50,000 (three full search pages of 100 in one operation)', async () => {
    const page = (alias: string) => `${alias}: searchUsers(first: 100) { edges { node { ...UserFields } } }`;
    expect(await post({ query: `{ ${page('a')} ${page('b')} ${page('c')} } ${FRAGMENT}` })).toEqual(
      overLimit(
        'Syntax Error: Query Cost limit of 50000 exceeded, found 58157.8125.',
        'LIMIT_MAX_COST',
        50_000,
      ),
    );
  });

  it('field suggestions are hidden', async () => {
    expect(await post({ query: '{ usr(id: "x") { id } }' })).toEqual({
      status: 400,
      allow: null,
      body: {
        errors: [
          {
            message: 'Cannot query field "usr" on type "Query". [Suggestion hidden]',
            locations: [{ line: 1, column: 3 }],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      },
    });
  });

  it('a batch of operations (batching is off)', async () => {
    expect(await post([{ query: '{ __typename }' }, { query: '{ __typename }' }])).toEqual(
      refused('Batching is not supported.', 'BAD_REQUEST'),
    );
  });

  it('a body over 100 KiB: 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(102_400)}` });
    const expected = {
      status: 413,
      allow: null,
      body: {
        errors: [
          { message: 'The request body exceeds 102400 bytes', extensions: { code: 'PAYLOAD_TOO_LARGE' } },
        ],
      },
    };
    expect(await post(big)).toEqual(expected);
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 8192)
          controller.enqueue(new TextEncoder().encode(big.slice(i, i + 8192)));
        controller.close();
      },
    });
    expect(
      await raw({
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: chunked,
        duplex: 'half',
      } as RequestInit),
    ).toEqual(expected);
  });

  it('a JSON body that does not parse: 400, and the body is not echoed', async () => {
    expect(await post('{"query": "{ __typename }", "variables": {"password": "hunter2-secret')).toEqual(
      refused('POST body sent invalid JSON.', 'BAD_REQUEST'),
    );
  });

  it('a mutation over GET: 405 with Allow: POST', async () => {
    const url = `?query=${encodeURIComponent('mutation { updateUser(id: "x", input: { nick: "n" }) { __typename } }')}`;
    expect(
      await raw({ url, headers: { 'x-graphql-csrf': '1', accept: 'application/graphql-response+json' } }),
    ).toEqual({
      status: 405,
      allow: 'POST',
      body: {
        errors: [
          {
            message: 'Can only perform a mutation operation from a POST request.',
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      },
    });
  });
});

describe('CSRF prevention', () => {
  const CSRF = {
    status: 403,
    allow: null,
    body: {
      errors: [
        {
          message:
            'Requests without a JSON body must send one of the headers: x-graphql-csrf, x-graphql-yoga-csrf, apollo-require-preflight',
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    },
  };
  const query = encodeURIComponent('{ me { user { id } } }');

  it.each([
    ['a GET without a CSRF header', { url: `?query=${query}` }],
    [
      'a text/plain POST',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{"query":"{ me { user { id } } }"}',
      },
    ],
    [
      'a form POST',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${query}`,
      },
    ],
    [
      'a multipart POST',
      { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' },
    ],
    ['a POST without content type', { method: 'POST', body: '{"query":"{ me { user { id } } }"}' }],
  ])('refuses %s with 403 and 0 upstream calls', async (_case, init: { url?: string } & RequestInit) => {
    expect(await raw(init)).toEqual(CSRF);
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('serves a GET query that carries a CSRF header, and a JSON POST', async () => {
    const get = await raw({ url: `?query=${query}`, headers: { 'x-graphql-csrf': '1' } });
    expect(get.status).toBe(200);
    expect((await post({ query: '{ me { user { id } } }' })).status).toBe(200);
  });
});

describe('introspection', () => {
  it('is on by default (GraphiQL needs it) and off when security.introspection is false', async () => {
    const query = '{ __schema { queryType { name } } }';
    expect((await post({ query })).body).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    });
    const closed = await startTestGateway({ app: { security: { introspection: false } } });
    try {
      const response = await postJson(closed.url, { query }, {}, closed.fetch);
      expect(await response.json()).toEqual({
        errors: [
          {
            message:
              'GraphQL introspection has been disabled, but the requested query contained the field "__schema".',
            locations: [{ line: 1, column: 3 }],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
          {
            message:
              'GraphQL introspection has been disabled, but the requested query contained the field "queryType".',
            locations: [{ line: 1, column: 14 }],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      });
      expect(totalCalls(await closed.emulator.stats())).toBe(0);
    } finally {
      await closed.close();
    }
  });
});
