import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatewayClient } from '../../src/client/gateway-client.js';
import { ConfigError } from '../../src/config.js';
import { createUserApiStack } from '../../src/gateway.js';
import { createApp } from '../../src/server/app.js';
import { getSchema } from '../../src/schema/index.js';
import { graphiqlTabs } from '../../src/server/graphiql-tabs.js';
import { BUNDLED_MANIFEST, loadTrustedDocuments } from '../../src/server/persisted-operations.js';
import { fetchOf, startTestGateway, testConfig, type TestGateway } from '../support/gateway.js';
import { postJson, type GraphQLResponse } from '../support/http.js';
import { restSearch } from '../support/rest.js';

// Issue 16, deliverable 2: trusted documents served by documentId from the manifest graphql-codegen
// writes; PERSISTED_OPERATIONS=only refuses every other document (coded, before any upstream call);
// APQ registers documents when not `only`; a persisted GET read is cacheable (ETag, 304, max-age).

const manifest = JSON.parse(readFileSync(BUNDLED_MANIFEST, 'utf8')) as Record<string, string>;
const idOf = (operation: string) => {
  const found = Object.entries(manifest).find(([, text]) => text.includes(`query ${operation}(`));
  if (!found) throw new Error(`no ${operation} in the manifest`);
  return found[0];
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const CSRF = { 'x-graphql-csrf': '1' };
const ARBITRARY = 'query($ids: [ID!]!) { users(ids: $ids) { id } }';

let allow: TestGateway;
let only: TestGateway;
let ids: string[];
beforeAll(async () => {
  [allow, only] = await Promise.all([
    startTestGateway(),
    startTestGateway({ env: { PERSISTED_OPERATIONS: 'only' }, app: { graphiql: true } }),
  ]);
  ids = (await restSearch(allow.emulator, 'client-demo-admin', { limit: 3 })).map((u) =>
    String(u['user-id']),
  );
});
afterAll(() => Promise.all([allow.close(), only.close()]));
beforeEach(() => Promise.all([allow.emulator.resetStats(), only.emulator.resetStats()]));

const upstreamCalls = async (gw: TestGateway) =>
  Object.entries((await gw.emulator.stats()).calls)
    .filter(([route]) => route !== 'token')
    .reduce((sum, [, n]) => sum + n, 0);

/** Status, body and headers of one GraphQL POST of `body` as it is. */
async function post(gw: TestGateway, body: unknown) {
  const response = await postJson(gw.url, body, {}, gw.fetch);
  return {
    status: response.status,
    body: (await response.json()) as GraphQLResponse,
    headers: response.headers,
  };
}

/** A GET of the endpoint with these query-string parameters (objects as JSON). */
async function get(gw: TestGateway, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const response = await gw.fetch(`${gw.url}?${search}`, { headers: { ...CSRF, ...headers } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

const codeOf = (body: GraphQLResponse) => body.errors?.[0]?.extensions?.['code'];

describe('the manifest', () => {
  it('holds every operation of schema/operations/, each id the hash of its text', () => {
    const operations = readdirSync(new URL('../../schema/operations/', import.meta.url)).filter(
      (name) => name !== 'fragments.graphql',
    );
    expect(Object.keys(manifest)).toHaveLength(operations.length);
    for (const [id, text] of Object.entries(manifest)) expect(id).toBe(`sha256:${sha256(text)}`);
    expect(loadTrustedDocuments(BUNDLED_MANIFEST, getSchema()).size).toBe(operations.length);
  });
});

describe('PERSISTED_OPERATIONS=allow (default)', () => {
  it('serves a trusted document by documentId, as its text would be answered', async () => {
    const byId = await post(allow, { documentId: idOf('GetUsers'), variables: { ids } });
    expect(byId.status).toBe(200);
    const byText = await post(allow, { query: manifest[idOf('GetUsers')], variables: { ids } });
    expect(byId.body).toEqual(byText.body);
    expect((byId.body.data?.['users'] as unknown[]).length).toBe(3);
  });

  it('an unknown or malformed documentId is refused, coded, with no upstream call', async () => {
    const unknown = await post(allow, { documentId: `sha256:${'0'.repeat(64)}`, variables: { ids } });
    expect(unknown.status).toBe(400);
    expect(codeOf(unknown.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    const malformed = await post(allow, { documentId: 'GetUsers', variables: { ids } });
    expect(malformed.status).toBe(400);
    expect(codeOf(malformed.body)).toBe('BAD_REQUEST');
    expect(malformed.body.errors?.[0]?.message).toMatch(/documentId must be "sha256:"/);
    expect(await upstreamCalls(allow)).toBe(0);
  });

  it('APQ: an unknown hash asks for the text; the text with its hash registers it; the hash then serves', async () => {
    const query = `${ARBITRARY} # apq ${Date.now()}`;
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    const miss = await post(allow, { extensions: { persistedQuery }, variables: { ids } });
    expect(codeOf(miss.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await upstreamCalls(allow)).toBe(0);
    const register = await post(allow, { query, extensions: { persistedQuery }, variables: { ids } });
    expect(register.body).toEqual({ data: { users: ids.map((id) => ({ id })) } });
    const hit = await post(allow, { extensions: { persistedQuery }, variables: { ids } });
    expect(hit.body).toEqual(register.body);
  });

  it('APQ: a text whose hash is not the one sent is refused and not registered', async () => {
    const persistedQuery = { version: 1, sha256Hash: sha256('something else') };
    const wrong = await post(allow, { query: ARBITRARY, extensions: { persistedQuery }, variables: { ids } });
    expect(wrong.status).toBe(400);
    expect(codeOf(wrong.body)).toBe('BAD_REQUEST');
    const after = await post(allow, { extensions: { persistedQuery }, variables: { ids } });
    expect(codeOf(after.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await upstreamCalls(allow)).toBe(0);
  });
});

describe('PERSISTED_OPERATIONS=only', () => {
  it('refuses any other document with PERSISTED_QUERY_ONLY before any upstream call', async () => {
    const refused = await post(only, { query: ARBITRARY, variables: { ids } });
    expect(refused.status).toBe(400);
    expect(codeOf(refused.body)).toBe('PERSISTED_QUERY_ONLY');
    expect(refused.body.data).toBeUndefined();
    // APQ cannot register a document either, and an unknown hash stays unknown.
    const persistedQuery = { version: 1, sha256Hash: sha256(ARBITRARY) };
    const register = await post(only, {
      query: ARBITRARY,
      extensions: { persistedQuery },
      variables: { ids },
    });
    expect(codeOf(register.body)).toBe('PERSISTED_QUERY_ONLY');
    const hashOnly = await post(only, { extensions: { persistedQuery }, variables: { ids } });
    expect(codeOf(hashOnly.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await upstreamCalls(only)).toBe(0);
  });

  it('serves trusted documents by documentId, by hash, and as their exact text', async () => {
    const expected = { data: { users: expect.any(Array) } };
    const id = idOf('GetUsers');
    const text = manifest[id] as string;
    expect((await post(only, { documentId: id, variables: { ids } })).body).toEqual(expected);
    const persistedQuery = { version: 1, sha256Hash: id.slice('sha256:'.length) };
    expect((await post(only, { extensions: { persistedQuery }, variables: { ids } })).body).toEqual(expected);
    expect((await post(only, { query: text, variables: { ids } })).body).toEqual(expected);
    // One more space is another document.
    expect(codeOf((await post(only, { query: `${text} `, variables: { ids } })).body)).toBe(
      'PERSISTED_QUERY_ONLY',
    );
  });

  it("GraphiQL's opening tabs run as they open; an edited tab is refused", async () => {
    const examples = { userId: ids[0] as string, userIds: ids, updateUserId: ids[1] as string };
    const app = createApp({
      apiFor: createUserApiStack({ service: only.upstream.api }),
      graphiql: { examples },
      persisted: { mode: 'only', trusted: new Map(), maxAgeSec: 0 },
    });
    const gw = { url: only.url, fetch: fetchOf(app) } as TestGateway;
    const tabs = graphiqlTabs(getSchema(), examples).filter((tab) => !tab.query.includes('mutation'));
    expect(tabs.length).toBeGreaterThanOrEqual(4);
    for (const tab of tabs) {
      const { status, body } = await post(gw, { query: tab.query });
      expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
    }
    const edited = await post(gw, { query: `${tabs[0]?.query}\n# edited` });
    expect(codeOf(edited.body)).toBe('PERSISTED_QUERY_ONLY');
  });

  it("the typed client's persisted mode sends ids only, and is served", async () => {
    const sent: string[] = [];
    const client = createGatewayClient(only.url, {
      persisted: true,
      fetch: async (input, init) => {
        sent.push(String(init?.body));
        return only.fetch(new Request(input, init));
      },
    });
    const { users } = await client.getUsers(ids);
    expect(users.map((u) => u?.id)).toEqual(ids);
    const { user } = await client.getUser(ids[0] as string);
    expect(user?.id).toBe(ids[0]);
    expect(sent).toHaveLength(2);
    for (const body of sent) {
      expect(JSON.parse(body)).toEqual(
        expect.objectContaining({ documentId: expect.stringMatching(/^sha256:/) }),
      );
      expect(JSON.parse(body)).not.toHaveProperty('query');
    }
  });
});

describe('a persisted read by GET', () => {
  it('carries a weak ETag and private max-age; If-None-Match gets 304 without a body', async () => {
    const params = { documentId: idOf('GetUsers'), variables: { ids } };
    const first = await get(allow, params);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    // The test gateway has no cache: the caller may keep nothing without asking again.
    expect(first.headers.get('cache-control')).toBe('private, max-age=0');
    expect(first.headers.get('vary')).toMatch(/authorization/);
    const again = await get(allow, params, { 'if-none-match': etag as string });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // Other variables, another answer and another tag.
    const other = await get(
      allow,
      { ...params, variables: { ids: ids.slice(1) } },
      { 'if-none-match': etag as string },
    );
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
  });

  it("max-age is the cache's TTL in seconds when the cache is on", async () => {
    const cached = await startTestGateway({ env: { CACHE_ENABLED: 'true', CACHE_TTL_MS: '30000' } });
    try {
      const response = await get(cached, { documentId: idOf('GetUsers'), variables: { ids } });
      expect(response.headers.get('cache-control')).toBe('private, max-age=30');
    } finally {
      await cached.close();
    }
  });

  it('an answer with errors, and a POST, stay no-store without an ETag', async () => {
    const failing = await get(allow, {
      documentId: idOf('GetUsers'),
      variables: { ids: ['x'.repeat(5_000)] },
    });
    expect(failing.text).toContain('"errors"');
    expect(failing.headers.get('etag')).toBeNull();
    expect(failing.headers.get('cache-control')).toBe('no-store');
    const posted = await postJson(
      allow.url,
      { documentId: idOf('GetUsers'), variables: { ids } },
      {},
      allow.fetch,
    );
    expect(posted.headers.get('etag')).toBeNull();
    expect(posted.headers.get('cache-control')).toBe('no-store');
  });
});

describe('settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persisted-'));
  const write = (name: string, content: string) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('PERSISTED_OPERATIONS is allow or only', () => {
    expect(testConfig().security.persisted).toEqual({ mode: 'allow', documents: undefined });
    expect(testConfig({ PERSISTED_OPERATIONS: 'only' }).security.persisted.mode).toBe('only');
    expect(() => testConfig({ PERSISTED_OPERATIONS: 'sometimes' })).toThrow(
      'PERSISTED_OPERATIONS must be one of allow, only, got "sometimes"',
    );
  });

  it.each([
    ['a missing file', join(dir, 'missing.json'), 'cannot be read'],
    ['not JSON', 'not-json.json', 'not JSON'],
    ['a list', '[]', 'must be a JSON object'],
    [
      'an id that is not the hash',
      JSON.stringify({ [`sha256:${'1'.repeat(64)}`]: '{ me { subject } }' }),
      'is not the hash of its document',
    ],
    [
      'a document the schema refuses',
      JSON.stringify({ [`sha256:${sha256('{ nope }')}`]: '{ nope }' }),
      'is not valid against the schema',
    ],
  ])('PERSISTED_DOCUMENTS with %s stops the start, naming the setting', async (_what, content, problem) => {
    const file = content.startsWith(dir)
      ? content
      : write(`${sha256(content)}.json`, content === 'not-json.json' ? '{' : content);
    await expect(startTestGateway({ env: { PERSISTED_DOCUMENTS: file } })).rejects.toThrow(ConfigError);
    await expect(startTestGateway({ env: { PERSISTED_DOCUMENTS: file } })).rejects.toThrow(
      new RegExp(`PERSISTED_DOCUMENTS \\(${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): .*${problem}`),
    );
  });

  it("PERSISTED_DOCUMENTS names an adopter's own manifest, which replaces ours", async () => {
    const text = 'query Mine { me { subject } }';
    const file = write('mine.json', JSON.stringify({ [`sha256:${sha256(text)}`]: text }));
    const gw = await startTestGateway({ env: { PERSISTED_DOCUMENTS: file, PERSISTED_OPERATIONS: 'only' } });
    try {
      expect((await post(gw, { documentId: `sha256:${sha256(text)}` })).body.data).toEqual({
        me: expect.any(Object),
      });
      expect(codeOf((await post(gw, { documentId: idOf('GetUsers'), variables: { ids } })).body)).toBe(
        'PERSISTED_QUERY_NOT_FOUND',
      );
    } finally {
      await gw.close();
    }
  });
});
