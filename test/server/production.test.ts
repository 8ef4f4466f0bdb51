import { createApp } from '../../src/server/app.js';
import { createUserApiStack } from '../../src/gateway.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { loadConfig } from '../../src/config.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { ERROR_CODES } from '../../src/errors.js';
import type { UserApi } from '../../src/upstream/user-api.js';
import { fetchOf, IN_PROCESS_ORIGIN, startTestGateway, type TestGateway } from '../support/gateway.js';
import { gatewayOrgOf } from '../support/auth.js';
import { totalCalls, type FaultSpec } from '../support/emulator.js';
import { GRAPHQL_RESPONSE, postJson, type GraphQLResponse } from '../support/http.js';
import { captureLogs, leaks } from '../support/logs.js';

// The gateway as `npm start` builds it from NODE_ENV=production, AUTH_MODE=jwt (settings through
// loadConfig), with the emulator as User API and token issuer.
const ids = exampleUserIds();
const ISSUER = 'https://visibility.amp.cisco.com';
const productionEnv = (emulatorUrl: string) => ({
  NODE_ENV: 'production',
  AUTH_MODE: 'jwt',
  AUTH_JWKS_URL: `${emulatorUrl}/.well-known/jwks`,
  AUTH_ISSUER: ISSUER,
  AUTH_AUDIENCE: ISSUER,
  XDR_BASE_URL: emulatorUrl,
  XDR_CLIENT_ID: 'client-demo-admin',
  XDR_CLIENT_SECRET: 'demo-admin-secret',
});

const logs = captureLogs();
let gw: TestGateway;
let admin: string;
let reader: string;
let profileOnly: string;
let gatewayOrgId: () => Promise<string>;
const responses: string[] = [];

beforeAll(async () => {
  const { security } = loadConfig(productionEnv('http://127.0.0.1:1'));
  gw = await startTestGateway({
    app: {
      logger: logs.logger,
      graphiql: false,
      security: {
        limits: security.limits,
        maxBodyBytes: security.maxBodyBytes,
        introspection: security.introspection,
      },
    },
    authenticate: ({ emulator, upstream }) => {
      const config = loadConfig(productionEnv(emulator.url));
      gatewayOrgId = gatewayOrgOf(upstream);
      return createAuthenticator(config.auth, { gatewayOrgId, logger: logs.logger });
    },
  });
  // Learnt once, as createGateway does at start, so that the counts below are the callers' alone.
  await gatewayOrgId();
  expect(security).toEqual(expect.objectContaining({ introspection: false, graphiql: false }));
  await gw.emulator.addClient({
    clientId: 'client-profile-only',
    clientSecret: 'profile-only-secret',
    ownerUserId: ids.userId,
    scopes: ['profile:read'],
  });
  admin = await gw.emulator.token('client-demo-admin');
  reader = await gw.emulator.token('client-demo-readonly');
  profileOnly = await gw.emulator.token('client-profile-only', 'profile-only-secret');
});
afterAll(() => gw.close());
beforeEach(async () => {
  await gw.emulator.clearFaults();
  await gw.emulator.resetStats();
});

/** Posts like a client, and keeps every raw response for the leak checks at the end. */
async function call(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await postJson(
    gw.url,
    { query, variables },
    { ...GRAPHQL_RESPONSE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    gw.fetch,
  );
  const text = await response.text();
  responses.push(text);
  return { status: response.status, body: JSON.parse(text) as GraphQLResponse };
}
const USER = 'query($id: ID!) { user(id: $id) { id email } }';

describe('NODE_ENV=production, AUTH_MODE=jwt', () => {
  it('rejects an unauthenticated call with 401 and 0 upstream requests', async () => {
    expect(await call(USER, { id: ids.userId })).toEqual({
      status: 401,
      body: {
        errors: [
          {
            message: 'Authentication required: send an Authorization: Bearer token',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('rejects under-scoped calls with 0 upstream requests', async () => {
    expect(await call(USER, { id: ids.userId }, profileOnly)).toEqual({
      status: 200,
      body: {
        data: { user: null },
        errors: [
          {
            message: 'This operation needs one of the scopes: users:read, users, admin',
            locations: [{ line: 1, column: 19 }],
            path: ['user'],
            extensions: { code: 'FORBIDDEN', requiredScopes: ['users:read', 'users', 'admin'] },
          },
        ],
      },
    });
    const update = await call(
      'mutation($id: ID!) { updateUser(id: $id, input: { enabled: false }) { __typename } }',
      { id: ids.updateUserId },
      reader,
    );
    expect(update).toEqual({ status: 200, body: { data: { updateUser: { __typename: 'ForbiddenError' } } } });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('serves a caller with the scopes', async () => {
    expect(await call(USER, { id: ids.userId }, admin)).toEqual({
      status: 200,
      body: { data: { user: { id: ids.userId, email: expect.any(String) } } },
    });
  });

  it('has introspection and GraphiQL off', async () => {
    const introspection = await call('{ __schema { types { name } } }', {}, admin);
    expect(introspection.status).toBe(400);
    const page = await gw.fetch(gw.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/<html/i);
  });

  it.each<[string, FaultSpec, string]>([
    ['a 500 with an IROH body', { route: 'batchUsers', status: 500 }, 'UPSTREAM_UNAVAILABLE'],
    ['a 503', { route: 'batchUsers', status: 503 }, 'UPSTREAM_UNAVAILABLE'],
    ['HTML with status 200', { route: 'batchUsers', mode: 'html' }, 'UPSTREAM_INVALID_RESPONSE'],
    ['malformed JSON', { route: 'batchUsers', mode: 'malformed' }, 'UPSTREAM_INVALID_RESPONSE'],
    ['a connection reset', { route: 'batchUsers', mode: 'reset' }, 'UPSTREAM_UNAVAILABLE'],
    ['a 403 with the IROH missing_scope body', { route: 'batchUsers', status: 403 }, 'FORBIDDEN'],
  ])('answers %s with a clean %s', async (_case, fault, code) => {
    await gw.emulator.injectFault(fault);
    const { body } = await call(USER, { id: ids.userId }, admin);
    expect(body.errors?.map((e) => e.extensions?.['code'])).toEqual([code]);
    expect(body.errors?.[0]).toEqual({
      message: expect.any(String),
      locations: [{ line: 1, column: 19 }],
      path: ['user'],
      extensions: expect.objectContaining({ code }),
    });
  });

  it('keeps the service credentials’ failure free of secrets', async () => {
    // A fresh gateway, so that its first token request meets the fault.
    const cold = await startTestGateway({ app: { logger: logs.logger } });
    try {
      await cold.emulator.injectFault({ route: 'token', status: 401 });
      const response = await postJson(cold.url, { query: '{ me { user { id } } }' }, {}, cold.fetch);
      const text = await response.text();
      responses.push(text, cold.emulator.url);
      expect(JSON.parse(text)).toEqual({
        data: { me: { user: null } },
        errors: [
          {
            message: 'The gateway could not authenticate to the User API; check its client credentials',
            locations: [{ line: 1, column: 8 }],
            path: ['me', 'user'],
            extensions: { code: 'UPSTREAM_UNAVAILABLE' },
          },
        ],
      });
    } finally {
      await cold.close();
    }
  });

  it('masks a thrown internal error', async () => {
    const secretUrl = `${gw.emulator.url}/iroh/user-mgmt/batch/users?token=${admin}`;
    const broken = {
      getUsers: async () => {
        throw new Error(`connect failed for ${secretUrl} with demo-admin-secret`);
      },
    } as unknown as UserApi;
    const app = createApp({
      apiFor: createUserApiStack({ service: broken }),
      graphiql: false,
      logger: logs.logger,
    });
    const response = await postJson(
      `${IN_PROCESS_ORIGIN}/graphql`,
      { query: USER, variables: { id: ids.userId } },
      {},
      fetchOf(app),
    );
    const text = await response.text();
    responses.push(text);
    expect(JSON.parse(text)).toEqual({
      data: { user: null },
      errors: [
        {
          message: 'Unexpected error.',
          locations: [{ line: 1, column: 19 }],
          path: ['user'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
    // Logged for operators as name, path and stack frames: never the message.
    expect(logs.lines().filter((line) => line['event'] === 'graphql_server' && line['level'] === 50)).toEqual(
      [
        expect.objectContaining({
          level: 50,
          errors: [
            {
              name: 'Error',
              path: ['user'],
              frames: expect.arrayContaining([expect.stringMatching(/^at /)]),
            },
          ],
        }),
      ],
    );
  });

  it('never sent a secret, token, upstream host, body or stack to a client or a log line', () => {
    const port = new URL(gw.emulator.url).port;
    const secrets = [
      'demo-admin-secret',
      'demo-readonly-secret',
      'profile-only-secret',
      admin,
      reader,
      profileOnly,
      gw.emulator.url,
      `127.0.0.1:${port}`,
      'visibility.amp.cisco.com',
      'trace_id',
      'error_description',
      'Bad Gateway',
      'stack',
      '    at ',
      'idb-amp:3f2a',
    ];
    expect(responses.length).toBeGreaterThan(10);
    expect(leaks(responses.join('\n'), secrets)).toEqual([]);
    // The log may name the emulator's port (operators need the upstream's address) but no
    // credential, token or upstream URL.
    expect(leaks(logs.text(), [...secrets.slice(0, 7), 'connect failed'])).toEqual([]);
    for (const text of responses) {
      if (!text.startsWith('{')) continue;
      for (const error of (JSON.parse(text) as GraphQLResponse).errors ?? []) {
        expect(ERROR_CODES).toContain(error.extensions?.['code']);
      }
    }
  });
});
