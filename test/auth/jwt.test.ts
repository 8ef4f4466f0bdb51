import { createAuthenticator } from '../../src/auth/authenticate.js';
import { ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { CLAIMS } from '../../src/emulator/tokens.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';
import { captureLogs, leaks } from '../support/logs.js';
import { emulatorJwtConfig, gatewayOrgOf, startLocalIssuer, type LocalIssuer } from '../support/auth.js';
import { totalCalls } from '../support/emulator.js';

// AUTH_MODE=jwt. Two issuers: the emulator (its demo clients are real callers with Cisco-style
// claims) and a local one whose tokens the tests shape at will (expiry, audience, algorithm, key).
const ids = exampleUserIds();
const UNAUTHENTICATED = (message: string) => ({
  errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }],
});
const FORBIDDEN_READ = {
  message: 'This operation needs one of the scopes: users:read, users, admin',
  extensions: { code: 'FORBIDDEN', requiredScopes: ['users:read', 'users', 'admin'] },
};

describe('AUTH_MODE=jwt with the emulator as issuer', () => {
  let gw: TestGateway;
  const logs = captureLogs();
  let adminToken: string;
  let readonlyToken: string;
  let gatewayOrgId: () => Promise<string>;

  beforeAll(async () => {
    gw = await startTestGateway({
      app: { logger: logs.logger },
      authenticate: ({ emulator, upstream }) => {
        gatewayOrgId = gatewayOrgOf(upstream);
        return createAuthenticator(emulatorJwtConfig(emulator.url, { algorithms: ['RS256', 'ES256'] }), {
          gatewayOrgId,
          logger: logs.logger,
        });
      },
    });
    // Learnt once, as createGateway does at start, so that the counts below are the callers' alone.
    await gatewayOrgId();
    adminToken = await gw.emulator.token('client-demo-admin');
    readonlyToken = await gw.emulator.token('client-demo-readonly');
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.resetStats());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('serves a caller whose token the emulator issued, scopes from its Cisco claim', async () => {
    const response = await gw.post(
      'query($id: ID!) { user(id: $id) { id } }',
      { id: ids.userId },
      bearer(adminToken),
    );
    expect(response).toEqual({ data: { user: { id: ids.userId } } });
    // One batch call with the gateway's own service token (fetched when it learnt its org): the
    // caller's token is never sent upstream.
    expect((await gw.emulator.stats()).calls).toEqual(
      expect.objectContaining({ batchUsers: 1, token: 0, whoami: 0 }),
    );
  });

  it('refuses a request without a token: 401, WWW-Authenticate, 0 upstream calls', async () => {
    const response = await postJson(gw.url, { query: '{ me { user { id } } }' }, {}, gw.fetch);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual(
      UNAUTHENTICATED('Authentication required: send an Authorization: Bearer token'),
    );
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('refuses a non-bearer Authorization header', async () => {
    const response = await gw.post('{ __typename }', {}, { authorization: 'Basic Y2xpZW50OnNlY3JldA==' });
    expect(response).toEqual(UNAUTHENTICATED('The Authorization header must be a Bearer token'));
  });

  it('refuses a badly signed token (the emulator’s, with its signature altered)', async () => {
    const [header, payload, signature = ''] = adminToken.split('.');
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const response = await gw.post('{ me { user { id } } }', {}, bearer(`${header}.${payload}.${flipped}`));
    expect(response).toEqual(UNAUTHENTICATED('The access token is invalid'));
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('answers FORBIDDEN to reads without a users scope and ForbiddenError to an under-scoped updateUser', async () => {
    // A read-only caller may read, but not change.
    const read = await gw.post(
      'query($id: ID!) { user(id: $id) { id } }',
      { id: ids.userId },
      bearer(readonlyToken),
    );
    expect(read).toEqual({ data: { user: { id: ids.userId } } });
    await gw.emulator.resetStats();
    const update = await gw.post(
      'mutation($id: ID!) { updateUser(id: $id, input: { nick: "x" }) { __typename ... on ForbiddenError { message missingScopes } } }',
      { id: ids.updateUserId },
      bearer(readonlyToken),
    );
    expect(update).toEqual({
      data: {
        updateUser: {
          __typename: 'ForbiddenError',
          message: 'Your credentials may not change users',
          missingScopes: ['users', 'admin'],
        },
      },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('never logs a caller token', () => {
    expect(leaks(logs.text(), [adminToken, readonlyToken])).toEqual([]);
    expect(logs.text()).toContain('auth_rejected');
  });
});

describe('AUTH_MODE=jwt with a local issuer', () => {
  let gw: TestGateway;
  let issuer: LocalIssuer;
  let gatewayOrgId: () => Promise<string>;
  const logs = captureLogs();

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    gw = await startTestGateway({
      app: { logger: logs.logger },
      authenticate: ({ upstream }) => {
        gatewayOrgId = gatewayOrgOf(upstream);
        return createAuthenticator(issuer.jwtConfig({ algorithms: ['RS256', 'ES256'] }), {
          gatewayOrgId,
          logger: logs.logger,
        });
      },
    });
    await gatewayOrgId();
  });
  afterAll(async () => {
    await gw.close();
    await issuer.close();
  });
  beforeEach(() => gw.emulator.resetStats());

  const ask = async (token: string, query = '{ users(ids: ["a"]) { id } }') =>
    gw.post(query, {}, { authorization: `Bearer ${token}` });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, {}, 'The access token has expired'],
    ['of the wrong audience', { aud: 'another-service' }, {}, 'The access token is invalid'],
    ['of the wrong issuer', { iss: 'https://evil.example' }, {}, 'The access token is invalid'],
    [
      'signed by a key the JWKS does not hold',
      {},
      { key: 'stranger' as const },
      'The access token is invalid',
    ],
    [
      'signed with an algorithm outside the allow-list (ES384)',
      {},
      { alg: 'ES384' },
      'The access token is invalid',
    ],
    ['without exp', { exp: undefined }, {}, 'The access token is invalid'],
  ])('refuses a token %s with 0 upstream calls', async (_case, claims, options, message) => {
    const response = await ask(await issuer.sign(claims, options));
    expect(response).toEqual(UNAUTHENTICATED(message));
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${part({ alg: 'none' })}.${part({ iss: issuer.issuer, aud: issuer.audience, exp: now + 60, scope: 'admin' })}.`;
    expect(await ask(token)).toEqual(UNAUTHENTICATED('The access token is invalid'));
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('answers FORBIDDEN to an under-scoped read, before any upstream call', async () => {
    const token = await issuer.sign({ scope: 'profile:read' });
    expect(await ask(token)).toEqual({
      data: null,
      errors: [{ ...FORBIDDEN_READ, locations: [{ line: 1, column: 3 }], path: ['users'] }],
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('reads scopes from the space-separated scope claim and from both Cisco array claims', async () => {
    for (const claims of [
      { scope: 'profile users:read' },
      { 'https://schemas.cisco.com/iroh/identity/claims/scopes': ['users:read'] },
      { [CLAIMS.scopes]: ['admin'] },
    ]) {
      expect(await ask(await issuer.sign(claims))).toEqual({ data: { users: [null] } });
    }
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(3);
  });

  it('needs profile or profile:read for me’s organisation (whoami), not users', async () => {
    const query = '{ me { organization { id } } }';
    const usersOnly = await ask(await issuer.sign({ scope: 'users admin' }), query);
    expect(usersOnly).toEqual({
      data: { me: { organization: null } },
      errors: [
        {
          message: 'This operation needs one of the scopes: profile:read, profile',
          locations: [{ line: 1, column: 8 }],
          path: ['me', 'organization'],
          extensions: { code: 'FORBIDDEN', requiredScopes: ['profile:read', 'profile'] },
        },
      ],
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    const profile = await ask(await issuer.sign({ scope: 'profile:read' }), query);
    expect(profile).toEqual({ data: { me: { organization: { id: ORG_1_ID } } } });
  });

  it('looks a caller’s own user up like user(id:): it needs a read scope', async () => {
    // The local issuer's subject, caller-1, is no user of the org: null, after one lookup.
    const query = '{ me { subject user { id } } }';
    expect(await ask(await issuer.sign({ scope: 'users:read' }), query)).toEqual({
      data: { me: { subject: 'caller-1', user: null } },
    });
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ batchUsers: 1, whoami: 0 }));
    await gw.emulator.resetStats();
    expect(await ask(await issuer.sign({ scope: 'profile:read' }), query)).toEqual({
      data: { me: { subject: 'caller-1', user: null } },
      errors: [
        {
          ...FORBIDDEN_READ,
          locations: [{ line: 1, column: 16 }],
          path: ['me', 'user'],
        },
      ],
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when the JWKS cannot be fetched', async () => {
    const down = await startTestGateway({
      authenticate: () =>
        createAuthenticator(issuer.jwtConfig({ jwksUrl: 'http://127.0.0.1:1/jwks' }), {
          gatewayOrgId: async () => ORG_1_ID,
        }),
    });
    try {
      const response = await postJson(
        down.url,
        { query: '{ __typename }' },
        { authorization: `Bearer ${await issuer.sign({ scope: 'users' })}` },
        down.fetch,
      );
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        errors: [
          { message: 'The identity provider is unavailable', extensions: { code: 'UPSTREAM_UNAVAILABLE' } },
        ],
      });
      expect(totalCalls(await down.emulator.stats())).toBe(0);
    } finally {
      await down.close();
    }
  });
});
