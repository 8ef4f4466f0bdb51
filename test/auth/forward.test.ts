import { createRemoteJWKSet } from 'jose';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { IDENTITY_CLAIMS, SCOPE_CLAIMS } from '../../src/auth/scopes.js';
import { DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import type { UserApi } from '../../src/upstream/user-api.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';
import { captureLogs, leaks } from '../support/logs.js';
import { emulatorForwardConfig, forgeLike, startLocalIssuer } from '../support/auth.js';
import { totalCalls } from '../support/emulator.js';

// AUTH_MODE=forward: the caller's own XDR token is verified against the User API's JWKS, then goes
// upstream; the gateway's client credentials are never used (0 token requests), and what a caller
// sees is what the User API lets that token see. (The shared cache: test/cache/forward-cache.test.ts.)
const ids = exampleUserIds();
const logs = captureLogs();
let gw: TestGateway;
let org1Admin: string;
let org1Reader: string;
let org2Admin: string;

beforeAll(async () => {
  gw = await startTestGateway({
    app: { logger: logs.logger },
    authenticate: ({ emulator, upstream }) =>
      createAuthenticator(emulatorForwardConfig(), {
        forCaller: upstream.forCaller,
        upstreamUrl: emulator.url,
        logger: logs.logger,
      }),
  });
  org1Admin = await gw.emulator.token('client-demo-admin');
  org1Reader = await gw.emulator.token('client-demo-readonly');
  org2Admin = await gw.emulator.token('client-demo-org2');
});
afterAll(() => gw.close());
beforeEach(() => gw.emulator.resetStats());

const as = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  gw.post(query, variables, { authorization: `Bearer ${token}` });
const LOOKUP = 'query($id: ID!, $ids: [ID!]!) { user(id: $id) { id orgId } users(ids: $ids) { id } }';

/** The HTTP status, WWW-Authenticate header and body of one request. */
async function raw(gateway: TestGateway, headers: Record<string, string>) {
  const response = await postJson(gateway.url, { query: '{ me { user { id } } }' }, headers, gateway.fetch);
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as unknown,
  };
}

describe('AUTH_MODE=forward', () => {
  it('serves an org-1 caller org-1 users with its own token, and no service token', async () => {
    const response = await as(org1Admin, LOOKUP, { id: ids.userId, ids: ids.userIds });
    expect(response).toEqual({
      data: {
        user: { id: ids.userId, orgId: '6f1c0a52-1e2b-4c3d-9a4e-000000000001' },
        users: ids.userIds.map((id) => ({ id })),
      },
    });
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ token: 0, batchUsers: 1 }));
  });

  it('isolates organisations: an org-2 caller cannot see org-1 users, even side by side with org 1', async () => {
    const [org2, org1] = await Promise.all([
      as(org2Admin, LOOKUP, { id: ids.userId, ids: ids.userIds }),
      as(org1Admin, LOOKUP, { id: ids.userId, ids: ids.userIds }),
    ]);
    expect(org2).toEqual({ data: { user: null, users: ids.userIds.map(() => null) } });
    expect(org1).toEqual({
      data: {
        user: { id: ids.userId, orgId: '6f1c0a52-1e2b-4c3d-9a4e-000000000001' },
        users: ids.userIds.map((id) => ({ id })),
      },
    });
    const me = await as(org2Admin, '{ me { user { id } organization { id } } }');
    expect(me).toEqual({
      data: { me: { user: { id: DEMO_OWNER_IDS.org2Admin }, organization: { id: ORG_2_ID } } },
    });
    expect((await gw.emulator.stats()).calls.token).toBe(0);
  });

  it('checks scopes locally before calling: a read-only caller gets ForbiddenError, 0 upstream calls', async () => {
    const response = await as(
      org1Reader,
      'mutation($id: ID!) { updateUser(id: $id, input: { nick: "n" }) { __typename } }',
      { id: ids.updateUserId },
    );
    expect(response).toEqual({ data: { updateUser: { __typename: 'ForbiddenError' } } });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('answers UNAUTHENTICATED when the User API still refuses a verified token, without a refresh or replay', async () => {
    // A valid signature is not the last word (the User API may know the token revoked): its 401 is
    // the caller's, one call, no token request and no second attempt with the same token.
    await gw.emulator.injectFault({ route: 'batchUsers', status: 401, times: 1 });
    try {
      const response = await as(org1Admin, 'query($id: ID!) { user(id: $id) { id } }', { id: ids.userId });
      expect(response).toEqual({
        data: { user: null },
        errors: [
          {
            message: 'The User API rejected your access token',
            locations: [{ line: 1, column: 19 }],
            path: ['user'],
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
      expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ token: 0, batchUsers: 1 }));
    } finally {
      await gw.emulator.clearFaults();
    }
  });

  it('verifies the token itself: missing, non-JWT, tampered or forged tokens get 401, 0 upstream calls', async () => {
    const [header, payload, signature = ''] = org1Admin.split('.');
    const tampered = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    // The right claims and the emulator's key id, but a key the JWKS does not hold.
    const forged = await forgeLike(org1Admin);
    // ...or claiming more scopes, or another org.
    const forgedScopes = await forgeLike(org1Reader, {
      [SCOPE_CLAIMS.ciscoOauth]: ['users', 'admin'],
    });
    const forgedOrg = await forgeLike(org2Admin, {
      [IDENTITY_CLAIMS.orgId]: ORG_1_ID,
    });
    const cases: [Record<string, string>, string][] = [
      [{}, 'Authentication required: send an Authorization: Bearer token'],
      [{ authorization: 'Bearer opaque-token' }, 'The access token is invalid'],
      [{ authorization: `Bearer ${tampered}` }, 'The access token is invalid'],
      [{ authorization: `Bearer ${forged}` }, 'The access token is invalid'],
      [{ authorization: `Bearer ${forgedScopes}` }, 'The access token is invalid'],
      [{ authorization: `Bearer ${forgedOrg}` }, 'The access token is invalid'],
    ];
    for (const [headers, message] of cases) {
      expect(await raw(gw, headers)).toEqual({
        status: 401,
        challenge: 'Bearer',
        body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] },
      });
    }
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('checks the claims of a correctly signed token: issuer, audience, exp, RS256 only, and an org', async () => {
    // The emulator only signs good tokens, so this signs its own with a key trusted through `keys`.
    const issuer = await startLocalIssuer();
    let clients = 0;
    try {
      const authenticate = createAuthenticator(
        emulatorForwardConfig({ issuer: issuer.issuer, audience: issuer.audience, clockToleranceSec: 0 }),
        {
          // Counts the caller clients made: none may be, so nothing reaches the cache or the
          // upstream, before the token holds.
          forCaller: (token: string): UserApi => {
            clients += 1;
            return gw.upstream.forCaller(token);
          },
          keys: createRemoteJWKSet(new URL(issuer.jwksUrl)),
        },
      );
      const request = (token: string) =>
        new Request('http://gateway.test/graphql', { headers: { authorization: `Bearer ${token}` } });
      const org = { [IDENTITY_CLAIMS.orgId]: ORG_2_ID, scope: 'users:read' };
      const now = Math.floor(Date.now() / 1000);
      const refused: [string, string][] = [
        [
          await issuer.sign({ ...org, iss: 'https://visibility.eu.amp.cisco.com' }),
          'The access token is invalid',
        ],
        [await issuer.sign({ ...org, aud: 'someone-else' }), 'The access token is invalid'],
        [await issuer.sign({ ...org, exp: undefined }), 'The access token is invalid'],
        [await issuer.sign({ ...org, exp: now - 1 }), 'The access token has expired'],
        // In the JWKS, but not the User API's algorithm.
        [await issuer.sign(org, { alg: 'ES384' }), 'The access token is invalid'],
        [await issuer.sign({ scope: 'users:read' }), 'The access token names no organisation'],
        [
          await issuer.sign({ ...org, [IDENTITY_CLAIMS.orgId]: '' }),
          'The access token names no organisation',
        ],
      ];
      for (const [token, message] of refused) {
        await expect(authenticate(request(token))).rejects.toMatchObject({
          message,
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      }
      expect(clients).toBe(0);
      await expect(authenticate(request(await issuer.sign(org)))).resolves.toMatchObject({
        caller: { kind: 'forward', subject: 'caller-1', orgId: ORG_2_ID, scopes: ['users:read'] },
      });
      expect(clients).toBe(1);
    } finally {
      await issuer.close();
    }
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when the upstream’s JWKS cannot be fetched, 0 API calls', async () => {
    const down = await startTestGateway({
      authenticate: ({ upstream }) =>
        createAuthenticator(emulatorForwardConfig(), {
          forCaller: upstream.forCaller,
          upstreamUrl: 'http://127.0.0.1:1',
        }),
    });
    try {
      const token = await down.emulator.token('client-demo-admin');
      await down.emulator.resetStats();
      expect(await raw(down, { authorization: `Bearer ${token}` })).toEqual({
        status: 503,
        challenge: null,
        body: {
          errors: [
            { message: 'The identity provider is unavailable', extensions: { code: 'UPSTREAM_UNAVAILABLE' } },
          ],
        },
      });
      expect(totalCalls(await down.emulator.stats())).toBe(0);
    } finally {
      await down.close();
    }
  });

  it('never logs a caller token', () => {
    expect(leaks(logs.text(), [org1Admin, org1Reader, org2Admin])).toEqual([]);
  });
});
