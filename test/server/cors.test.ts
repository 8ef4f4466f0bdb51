import { createApp, type App } from '../../src/server/app.js';
import { createUserApiStack } from '../../src/gateway.js';
import type { CorsPolicy } from '../../src/config.js';
import { isLoopbackOrigin } from '../../src/server/cors.js';
import { fetchOf, IN_PROCESS_ORIGIN, startTestGateway, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';

// Finding 5: Yoga's default CORS reflected any origin with `allow-credentials: true`, so a page of
// https://evil.example could read answers through a visitor's browser, and run `updateUser` (the
// CSRF rule relies on browsers being refused the preflight of a JSON POST). Each policy of
// CORS_ORIGINS, tested with preflights and simple requests, from evil and from allowed origins.

const ENDPOINT = `${IN_PROCESS_ORIGIN}/graphql`;
const EVIL = 'https://evil.example';
const APP = 'https://app.example.com';
const ALLOWED_HEADERS =
  'content-type, authorization, x-request-id, traceparent, x-graphql-csrf, x-graphql-yoga-csrf, apollo-require-preflight';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const appWith = (cors?: CorsPolicy): App =>
  createApp({
    apiFor: createUserApiStack({ service: gw.upstream.api }),
    graphiql: false,
    security: cors ? { cors } : {},
  });

/** The CORS headers of a response, and its status. */
async function corsOf(response: Response) {
  await response.arrayBuffer();
  const headers = Object.fromEntries(
    [...response.headers]
      .filter(([name]) => name.startsWith('access-control-') || name === 'vary')
      // Every GraphQL answer varies by accept-encoding too (compression.test.ts); only CORS's part here.
      .flatMap(([name, value]) => {
        const kept =
          name === 'vary'
            ? value
                .split(/,\s*/)
                .filter((v) => v !== 'accept-encoding')
                .join(', ')
            : value;
        return kept ? [[name, kept]] : [];
      }),
  );
  return { status: response.status, headers };
}

// app.fetch may answer synchronously: awaited, never chained.
const preflight = async (app: App, origin: string) =>
  corsOf(
    await app.fetch(ENDPOINT, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    }),
  );

/** The request a preflight clears: a JSON POST. */
const actual = async (app: App, origin: string) =>
  corsOf(await postJson(ENDPOINT, { query: '{ __typename }' }, { origin }, fetchOf(app)));

/** A simple request, which a page sends without a preflight: refused by the CSRF rule (403). */
const simple = async (app: App, origin: string) =>
  corsOf(
    await app.fetch(ENDPOINT, {
      method: 'POST',
      headers: { origin, 'content-type': 'text/plain' },
      body: JSON.stringify({
        query: 'mutation { updateUser(id: "x", input: { nick: "pwned" }) { __typename } }',
      }),
    }),
  );

const NO_CORS = { status: 204, headers: {} };

/** What an allowed preflight answers; credentials only for an explicit list. */
const allowedPreflight = (origin: string, credentials: boolean) => ({
  status: 204,
  headers: {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-expose-headers': 'x-request-id, retry-after',
    'access-control-max-age': '600',
    ...(credentials ? { 'access-control-allow-credentials': 'true' } : {}),
  },
});
const allowedActual = (origin: string, credentials: boolean) => ({
  status: 200,
  headers: allowedPreflight(origin, credentials).headers,
});
const allowedSimple = (origin: string, credentials: boolean) => ({
  status: 403,
  headers: allowedPreflight(origin, credentials).headers,
});
const REFUSED_ACTUAL = { status: 200, headers: {} };
const REFUSED_SIMPLE = { status: 403, headers: {} };

describe('no policy given (createApp default): no cross-origin access', () => {
  it('answers the preflight of evil without any CORS header (before: reflected, with credentials)', async () => {
    expect(await preflight(appWith(), EVIL)).toEqual(NO_CORS);
  });

  it('answers requests of evil without CORS headers, so its page cannot read the answers', async () => {
    expect(await actual(appWith(), EVIL)).toEqual(REFUSED_ACTUAL);
    expect(await simple(appWith(), EVIL)).toEqual(REFUSED_SIMPLE);
  });

  it('the test gateway (no cors either) refuses evil too', async () => {
    const response = await gw.fetch(gw.url, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(await corsOf(response)).toEqual(NO_CORS);
  });
});

describe("mode 'none'", () => {
  const app = () => appWith({ mode: 'none' });

  it.each([EVIL, 'http://localhost:3000', APP])('gives %s no CORS header', async (origin) => {
    expect(await preflight(app(), origin)).toEqual(NO_CORS);
    expect(await actual(app(), origin)).toEqual(REFUSED_ACTUAL);
    expect(await simple(app(), origin)).toEqual(REFUSED_SIMPLE);
  });
});

describe("mode 'loopback' (default mode over the embedded emulator)", () => {
  const app = () => appWith({ mode: 'loopback' });

  it.each(['http://localhost:5173', 'https://localhost', 'http://127.0.0.1:8080', 'http://[::1]:3000'])(
    'allows %s, without credentials',
    async (origin) => {
      expect(await preflight(app(), origin)).toEqual(allowedPreflight(origin, false));
      expect(await actual(app(), origin)).toEqual(allowedActual(origin, false));
      expect(await simple(app(), origin)).toEqual(allowedSimple(origin, false));
    },
  );

  it.each([
    EVIL,
    'http://localhost.evil.example',
    'http://127.0.0.1.nip.io',
    'http://localhost:5173/',
    'file://localhost',
    'null',
  ])('refuses %s', async (origin) => {
    expect(await preflight(app(), origin)).toEqual(NO_CORS);
    expect(await actual(app(), origin)).toEqual(REFUSED_ACTUAL);
    expect(await simple(app(), origin)).toEqual(REFUSED_SIMPLE);
  });
});

describe("mode 'list' (CORS_ORIGINS=https://app.example.com,http://localhost:3000)", () => {
  const app = () => appWith({ mode: 'list', origins: [APP, 'http://localhost:3000'] });

  it.each([APP, 'http://localhost:3000'])('allows %s exactly, with credentials', async (origin) => {
    expect(await preflight(app(), origin)).toEqual(allowedPreflight(origin, true));
    expect(await actual(app(), origin)).toEqual(allowedActual(origin, true));
    expect(await simple(app(), origin)).toEqual(allowedSimple(origin, true));
  });

  it.each([
    EVIL,
    'https://app.example.com.evil.example',
    'http://app.example.com',
    'http://localhost:3001',
    'null',
  ])('refuses %s', async (origin) => {
    expect(await preflight(app(), origin)).toEqual(NO_CORS);
    expect(await actual(app(), origin)).toEqual(REFUSED_ACTUAL);
    expect(await simple(app(), origin)).toEqual(REFUSED_SIMPLE);
  });
});

describe("mode 'any' (CORS_ORIGINS=*)", () => {
  const app = () => appWith({ mode: 'any' });

  it.each([EVIL, APP])('allows %s, never with credentials', async (origin) => {
    expect(await preflight(app(), origin)).toEqual(allowedPreflight(origin, false));
    expect(await actual(app(), origin)).toEqual(allowedActual(origin, false));
    expect(await simple(app(), origin)).toEqual(allowedSimple(origin, false));
  });
});

describe('a request without Origin (same-origin, or no browser)', () => {
  it.each<CorsPolicy>([
    { mode: 'none' },
    { mode: 'loopback' },
    { mode: 'any' },
    { mode: 'list', origins: [APP] },
  ])('gets no CORS header under %j', async (policy) => {
    const response = await postJson(ENDPOINT, { query: '{ __typename }' }, {}, fetchOf(appWith(policy)));
    expect(await corsOf(response)).toEqual({ status: 200, headers: {} });
  });
});

describe('isLoopbackOrigin', () => {
  it.each<[string, boolean]>([
    ['http://localhost', true],
    ['http://LOCALHOST:80', false],
    ['https://127.0.0.1:4443', true],
    ['http://[::1]', true],
    ['http://127.0.0.2', false],
    ['ws://localhost', false],
    ['http://user@localhost', false],
    ['not an origin', false],
  ])('%s → %s', (origin, expected) => {
    expect(isLoopbackOrigin(origin)).toBe(expected);
  });
});
