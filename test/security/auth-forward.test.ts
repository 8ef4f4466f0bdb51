import { createAuthenticator } from '../../src/auth/authenticate.js';
import { DEMO_OWNER_IDS, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLogs, leaks, totalCalls } from './support.js';

// AUTH_MODE=forward: the caller's own XDR token goes upstream; the gateway's client credentials are
// never used (0 token requests), and what a caller sees is what the User API lets that token see.
const ids = exampleUserIds();
const logs = captureLogs();
let gw: TestGateway;
let org1Admin: string;
let org1Reader: string;
let org2Admin: string;

beforeAll(async () => {
  gw = await startTestGateway({
    app: { logger: logs.logger },
    authenticate: ({ upstream }) =>
      createAuthenticator(
        { mode: 'forward', clockToleranceSec: 5 },
        { forCaller: upstream.forCaller, logger: logs.logger },
      ),
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

  it('answers UNAUTHENTICATED when the User API rejects the caller’s token, without a refresh or replay', async () => {
    const [header, payload, signature = ''] = org1Admin.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const response = await as(forged, 'query($id: ID!) { user(id: $id) { id } }', { id: ids.userId });
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
  });

  it('refuses a missing, non-JWT or expired token locally: 401, 0 upstream calls', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const expired = `${part({ alg: 'RS256' })}.${part({ exp: Math.floor(Date.now() / 1000) - 60 })}.c2ln`;
    const cases: [Record<string, string>, string][] = [
      [{}, 'Authentication required: send an Authorization: Bearer token'],
      [{ authorization: 'Bearer opaque-token' }, 'The access token is invalid'],
      [{ authorization: `Bearer ${expired}` }, 'The access token has expired'],
    ];
    for (const [headers, message] of cases) {
      expect(await gw.post('{ me { user { id } } }', {}, headers)).toEqual({
        errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('never logs a caller token', () => {
    expect(leaks(logs.text(), [org1Admin, org1Reader, org2Admin])).toEqual([]);
  });
});
