// Shapes the emulator never sends, from a stub server: batch rows out of order, repeated or unasked,
// schema drift, odd content types and sizes, the tolerated variants of search and error bodies.
import {
  UpstreamBadInputError,
  UpstreamForbiddenError,
  UpstreamMalformedError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
} from '../../src/upstream/errors.js';
import { UpstreamHttp } from '../../src/upstream/http.js';
import { TokenManager } from '../../src/upstream/token-manager.js';
import { UserApiClient } from '../../src/upstream/user-api-client.js';
import { LeakGuard } from '../support/leak-guard.js';
import { STUB_TOKEN, json, startStubServer, wireUser } from '../support/stub-server.js';
import type { StubServer } from '../support/stub-server.js';

const guard = new LeakGuard();
guard.secret(STUB_TOKEN);
let stub: StubServer;
let http: UpstreamHttp;
let api: UserApiClient;

beforeAll(async () => {
  stub = await startStubServer();
  guard.secret(new URL(stub.url).host);
  http = new UpstreamHttp({ baseUrl: stub.url, maxBodyBytes: 64 * 1024 });
  const tokenManager = new TokenManager({
    http,
    clientId: 'stub-client',
    clientSecret: 'wrong-secret-value',
  });
  api = new UserApiClient({ http, tokenManager, timeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await stub.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

describe('batch rows are mapped back by user-id', () => {
  it('whatever the order, with duplicates, unasked and missing rows', async () => {
    stub.handle = (_req, res) =>
      json(res, 200, [
        wireUser('c'),
        wireUser('zz-not-asked'),
        wireUser('a', { 'user-name': 'first a' }),
        wireUser('a', { 'user-name': 'second a' }),
        wireUser('c'),
      ]);
    const users = await api.getUsers(['a', 'b', 'c', 'a', 'missing']);
    expect(users.map((u) => u?.id ?? null)).toEqual(['a', null, 'c', 'a', null]);
    expect(users[0]?.name).toBe('first a');
    expect(users[0]).toBe(users[3]);
    expect(stub.requests.filter((r) => r.startsWith('GET'))).toEqual([
      'GET /iroh/user-mgmt/batch/users?id=a&id=b&id=c&id=missing',
    ]);
  });

  it('sends the chunks concurrently and maps rows across chunks', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `user-${i}`);
    const waiting: (() => void)[] = [];
    stub.handle = (_req, res, url) => {
      const asked = url.searchParams.getAll('id');
      // Answer nothing until all three chunks are in flight: a sequential client would time out.
      waiting.push(() =>
        json(
          res,
          200,
          asked
            .filter((_, i) => i % 2 === 0)
            .reverse()
            .map((id) => wireUser(id)),
        ),
      );
      if (waiting.length === 3) for (const answer of waiting) answer();
    };
    const users = await api.getUsers(ids);
    expect(users.map((u) => u?.id ?? null)).toEqual(
      ids.map((id) => ((Number(id.slice(5)) % 100) % 2 === 0 ? id : null)),
    );
    const sizes = stub.requests
      .filter((r) => r.includes('/batch/users'))
      .map((r) => new URL(`http://x${r.slice(4)}`).searchParams.getAll('id').length);
    expect(sizes.sort((a, b) => a - b)).toEqual([50, 100, 100]);
  });

  it('percent-encodes ids in the query string', async () => {
    stub.handle = (_req, res) => json(res, 200, [wireUser('a&b=c d')]);
    const [user] = await api.getUsers(['a&b=c d']);
    expect(user?.id).toBe('a&b=c d');
    expect(stub.requests.at(-1)).toBe('GET /iroh/user-mgmt/batch/users?id=a%26b%3Dc+d');
  });
});

describe('schema drift', () => {
  it('a user missing a required key is UpstreamMalformedError naming the path', async () => {
    const { 'created-at': _dropped, ...drifted } = wireUser('a');
    stub.handle = (_req, res) => json(res, 200, drifted);
    const error = await guard.failure(api.getUser('a'));
    expect(error).toBeInstanceOf(UpstreamMalformedError);
    expect(error.message).toBe(
      'The User API answered getUser with an unexpected shape at created-at (invalid_type)',
    );
  });

  it('a key of the wrong type is UpstreamMalformedError without the value', async () => {
    stub.handle = (_req, res) => json(res, 200, [wireUser('a'), wireUser('b', { 'enabled?': 'secret-ish' })]);
    const error = await guard.failure(api.getUsers(['a', 'b']));
    expect(error).toBeInstanceOf(UpstreamMalformedError);
    expect(error.message).toContain('1.enabled?');
    expect(error.message).not.toContain('secret-ish');
  });

  it('extra unknown keys are fine and dropped', async () => {
    stub.handle = (_req, res) =>
      json(
        res,
        200,
        wireUser('a', { 'brand-new-key': [1, 2], scim: { id: 's', 'access-token': 't0p', 'group-id': 'g' } }),
      );
    const user = await api.getUser('a');
    expect(Object.keys(user)).not.toContain('brand-new-key');
    expect(JSON.stringify(user)).not.toContain('t0p');
  });

  it('a batch answer that is not an array is UpstreamMalformedError', async () => {
    stub.handle = (_req, res) => json(res, 200, { data: [wireUser('a')] });
    expect(await guard.failure(api.getUsers(['a']))).toBeInstanceOf(UpstreamMalformedError);
  });
});

describe('bodies and content types', () => {
  it('JSON without a content type is read', async () => {
    stub.handle = (_req, res) => {
      res.writeHead(200);
      res.end(JSON.stringify(wireUser('a')));
    };
    expect((await api.getUser('a')).id).toBe('a');
  });

  it('a declared non-JSON content type is UpstreamMalformedError even if the body parses', async () => {
    stub.handle = (_req, res) => json(res, 200, wireUser('a'), 'text/plain');
    expect(await guard.failure(api.getUser('a'))).toBeInstanceOf(UpstreamMalformedError);
  });

  it('application/problem+json style types are JSON', async () => {
    stub.handle = (_req, res) => json(res, 200, wireUser('a'), 'application/vnd.iroh+json; charset=utf-8');
    expect((await api.getUser('a')).id).toBe('a');
  });

  it('an empty 200 body is UpstreamMalformedError', async () => {
    stub.handle = (_req, res) => json(res, 200, '');
    expect(await guard.failure(api.whoami())).toBeInstanceOf(UpstreamMalformedError);
  });

  it('a body over the cap is UpstreamMalformedError, declared or streamed', async () => {
    const big = [wireUser('a', { 'user-name': 'x'.repeat(100 * 1024) })];
    stub.handle = (_req, res) => json(res, 200, big);
    const declared = await guard.failure(api.getUsers(['a']));
    expect(declared).toBeInstanceOf(UpstreamMalformedError);
    expect(declared.message).toBe('The User API answered batchUsers with an oversized body');

    stub.handle = (_req, res) => {
      // Chunked, no content-length: the cap has to trip while reading.
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = JSON.stringify(big);
      for (let i = 0; i < text.length; i += 8 * 1024) res.write(text.slice(i, i + 8 * 1024));
      res.end();
    };
    expect(await guard.failure(api.getUsers(['a']))).toBeInstanceOf(UpstreamMalformedError);

    stub.handle = (_req, res) => json(res, 200, [wireUser('a')]);
    expect((await api.getUsers(['a']))[0]?.id).toBe('a');
  });

  it('an oversized 5xx page is still UpstreamUnavailableError with its status', async () => {
    stub.handle = (_req, res) => json(res, 502, `<html>${'x'.repeat(100 * 1024)}</html>`, 'text/html');
    const error = await guard.failure(api.whoami());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(502);
  });
});

describe('tolerated variants', () => {
  it('search answered with a plain array', async () => {
    stub.handle = (_req, res) => json(res, 200, [wireUser('a'), wireUser('b')]);
    const result = await api.searchUsers({
      filter: { query: 'x' },
      sortBy: 'lastLoggedAt',
      searchAfter: [null, 'z'],
    });
    expect(result).toMatchObject({ totalHits: 2 });
    expect(result.users.map((u) => u.id)).toEqual(['a', 'b']);
    expect(result.next).toBeUndefined();
    expect(stub.requests.at(-1)).toBe(
      'POST /iroh/user-mgmt/search/users?sort_by=last-logged-at&search_after=null&search_after=z',
    );
  });

  it('a 400 with a bare reasons map', async () => {
    stub.handle = (_req, res) => json(res, 400, { 'user-nick': 'invalid-value' });
    const error = await guard.failure(api.updateUser('a', { nick: '' }));
    expect(error).toBeInstanceOf(UpstreamBadInputError);
    expect((error as UpstreamBadInputError).reasons).toEqual({ 'user-nick': 'invalid-value' });
  });

  it('a 400 that is not JSON has no reasons', async () => {
    stub.handle = (_req, res) => json(res, 400, '<html>nope</html>', 'text/html');
    const error = await guard.failure(api.updateUser('a', { nick: 'n' }));
    expect(error).toBeInstanceOf(UpstreamBadInputError);
    expect((error as UpstreamBadInputError).reasons).toEqual({});
  });

  it('a 403 without scope lists (a role check)', async () => {
    stub.handle = (_req, res) => json(res, 403, { error: 'insufficient_role', 'required-role': 'admin' });
    const error = await guard.failure(api.updateUser('a', { nick: 'n' }));
    expect(error).toBeInstanceOf(UpstreamForbiddenError);
    expect(error).toMatchObject({ missingScopes: [], requiredScopes: [] });
  });

  it('Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    stub.handle = (_req, res) => {
      res.writeHead(429, { 'retry-after': at, 'content-type': 'application/json' });
      res.end('{}');
    };
    const error = await guard.failure(api.getUser('a'));
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    const wait = (error as UpstreamRateLimitedError).retryAfterSec ?? 0;
    expect(wait).toBeGreaterThan(100);
    expect(wait).toBeLessThanOrEqual(121);
  });

  it('a 429 without Retry-After', async () => {
    stub.handle = (_req, res) => json(res, 429, {});
    const error = await guard.failure(api.getUser('a'));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSec: undefined });
  });

  it('a redirect is not followed', async () => {
    stub.handle = (_req, res) => {
      res.writeHead(302, { location: 'http://elsewhere.invalid/' });
      res.end();
    };
    const error = await guard.failure(api.getUser('a'));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(302);
  });
});

describe('the request on the wire', () => {
  it('sends bearer auth, JSON bodies in kebab-case and the query parameters', async () => {
    stub.handle = (_req, res) => json(res, 200, { data: [], paging: { 'total-hits': 0, sort: [] } });
    await api.searchUsers({
      filter: { role: ['admin', 'user'], enabled: true, email: 'a@b.c', idp: 'okta', query: 'q' },
      sortBy: 'email',
      sortOrder: 'desc',
      offset: 10,
      limit: 5,
    });
    expect(stub.requests.at(-1)).toBe(
      'POST /iroh/user-mgmt/search/users?sort_by=user-email&sort_order=desc&offset=10&limit=5',
    );
    expect(stub.headers.at(-1)).toMatchObject({
      authorization: `Bearer ${STUB_TOKEN}`,
      accept: 'application/json',
      'content-type': 'application/json',
    });
    expect(JSON.parse(stub.bodies.at(-1) ?? '')).toEqual({
      role: ['admin', 'user'],
      'enabled?': true,
      'user-email': 'a@b.c',
      idp: 'okta',
      query: 'q',
    });
  });

  it('sends change-a-user as a POST with only the given keys', async () => {
    stub.handle = (_req, res) => json(res, 200, wireUser('idb-amp:1/2', { 'user-nick': 'n' }));
    await api.updateUser('idb-amp:1/2', { nick: 'n', enabled: false });
    expect(stub.requests.at(-1)).toBe('POST /iroh/user-mgmt/users/idb-amp%3A1%2F2');
    expect(JSON.parse(stub.bodies.at(-1) ?? '')).toEqual({ 'user-nick': 'n', 'enabled?': false });
  });

  it('asks for the token with Basic auth and a form body', async () => {
    const pool = new UpstreamHttp({ baseUrl: `${stub.url}/` });
    try {
      const tokens = new TokenManager({
        http: pool,
        clientId: 'stub-client',
        clientSecret: 'wrong-secret-value',
      });
      expect(await tokens.getToken()).toBe(STUB_TOKEN);
      expect(stub.requests.at(-1)).toBe('POST /iroh/oauth2/token');
      expect(stub.bodies.at(-1)).toBe('grant_type=client_credentials');
      expect(stub.headers.at(-1)).toMatchObject({
        authorization: `Basic ${Buffer.from('stub-client:wrong-secret-value').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      });
    } finally {
      await pool.close();
    }
  });
});

describe('secrecy', () => {
  it('no error thrown in this file carries a secret, a token or a host', () => {
    expect(guard.errors.length).toBeGreaterThan(10);
    expect(guard.leaks(['nope', 'secret-ish', 'elsewhere.invalid'])).toEqual([]);
  });
});
