import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ConfigError } from '../../src/config.js';
import { negotiateEncoding } from '../../src/server/compression.js';
import { startTestGateway, testConfig, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';
import { restSearch } from '../support/rest.js';

// Issue 16, deliverable 4: GraphQL responses of at least SERVER_COMPRESSION_MIN_BYTES go out as
// brotli or gzip, by the caller's accept-encoding (q-values honoured); smaller ones, and callers that
// ask for neither, get the bytes as they are.

let gw: TestGateway;
let ids: string[];
beforeAll(async () => {
  gw = await startTestGateway();
  const users = await restSearch(gw.emulator, 'client-demo-admin', { limit: 100 });
  ids = users.map((user) => String(user['user-id']));
});
afterAll(() => gw.close());

const LIST = 'query($ids: [ID!]!) { users(ids: $ids) { id email name nick role scopes createdAt } }';

/** The raw answer to `query`, with the caller's accept-encoding (if any). */
async function answer(query: string, variables: unknown, acceptEncoding?: string, on = gw) {
  const headers: Record<string, string> =
    acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
  const response = await postJson(on.url, { query, variables }, headers, on.fetch);
  const body = Buffer.from(await response.arrayBuffer());
  return { response, body, encoding: response.headers.get('content-encoding') };
}

describe('negotiateEncoding', () => {
  it.each([
    [null, undefined],
    ['', undefined],
    ['identity', undefined],
    ['deflate', undefined],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['GZIP', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['gzip;q=0', undefined],
    ['*', 'br'],
    ['*;q=0.5, gzip', 'gzip'],
    ['*, br;q=0', 'gzip'],
    ['br;q=nonsense, gzip;q=0.1', 'gzip'],
  ])('%p → %p', (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });
});

describe('GraphQL responses', () => {
  it('a 100-user page goes out as brotli or gzip, and decodes to the identity answer', async () => {
    const plain = await answer(LIST, { ids });
    expect(plain.encoding).toBeNull();
    expect(plain.body.byteLength).toBeGreaterThan(10_000);
    const expected = JSON.parse(plain.body.toString('utf8')) as { data: { users: unknown[] } };
    expect(expected.data.users).toHaveLength(100);

    const br = await answer(LIST, { ids }, 'gzip, deflate, br');
    expect(br.encoding).toBe('br');
    expect(Number(br.response.headers.get('content-length'))).toBe(br.body.byteLength);
    expect(br.body.byteLength).toBeLessThan(plain.body.byteLength / 3);
    expect(JSON.parse(brotliDecompressSync(br.body).toString('utf8'))).toEqual(expected);

    const gzip = await answer(LIST, { ids }, 'gzip');
    expect(gzip.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.body).toString('utf8'))).toEqual(expected);
  });

  it('every GraphQL response varies by accept-encoding and keeps its other headers', async () => {
    for (const acceptEncoding of [undefined, 'br']) {
      const { response } = await answer(LIST, { ids }, acceptEncoding);
      expect(response.headers.get('vary')).toMatch(/accept-encoding/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    }
  });

  it('an answer under the minimum (one user) goes out as it is, even when br is accepted', async () => {
    const small = await answer('query($id: ID!) { user(id: $id) { id } }', { id: ids[0] }, 'br, gzip');
    expect(small.encoding).toBeNull();
    expect(small.body.byteLength).toBeLessThan(1_024);
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ data: { user: { id: ids[0] } } });
  });

  it('a caller that refuses both (q=0) or names only others gets identity', async () => {
    for (const acceptEncoding of ['br;q=0, gzip;q=0', 'deflate', 'identity']) {
      const { encoding, body } = await answer(LIST, { ids }, acceptEncoding);
      expect(encoding).toBeNull();
      expect(JSON.parse(body.toString('utf8')).data.users).toHaveLength(100);
    }
  });

  it('SERVER_COMPRESSION=false turns it off; SERVER_COMPRESSION_MIN_BYTES=0 compresses even one user', async () => {
    const off = await startTestGateway({ server: { compression: false } });
    const all = await startTestGateway({ server: { compression: { minBytes: 0 } } });
    try {
      expect((await answer(LIST, { ids }, 'br', off)).encoding).toBeNull();
      const one = await answer('query($id: ID!) { user(id: $id) { id } }', { id: ids[0] }, 'gzip', all);
      expect(one.encoding).toBe('gzip');
      expect(JSON.parse(gunzipSync(one.body).toString('utf8'))).toEqual({ data: { user: { id: ids[0] } } });
    } finally {
      await Promise.all([off.close(), all.close()]);
    }
  });
});

describe('settings', () => {
  it('default on at 1 024 bytes; off and a minimum are read; a bad value is named', () => {
    expect(testConfig().server.compression).toEqual({ minBytes: 1_024 });
    expect(testConfig({ SERVER_COMPRESSION: 'false' }).server.compression).toBe(false);
    expect(testConfig({ SERVER_COMPRESSION_MIN_BYTES: '0' }).server.compression).toEqual({ minBytes: 0 });
    expect(() => testConfig({ SERVER_COMPRESSION: 'gzip' })).toThrow(ConfigError);
    expect(() => testConfig({ SERVER_COMPRESSION_MIN_BYTES: '1kb' })).toThrow(
      'SERVER_COMPRESSION_MIN_BYTES must be an integer 0-100000000, got "1kb"',
    );
  });
});
