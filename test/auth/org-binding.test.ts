import { createAuthenticator, type Authenticate } from '../../src/auth/authenticate.js';
import { IDENTITY_CLAIMS } from '../../src/auth/scopes.js';
import { CISCO_ORG_CLAIM } from '../../src/config.js';
import { DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';
import { captureLogs, leaks } from '../support/logs.js';
import {
  emulatorForwardConfig,
  emulatorJwtConfig,
  gatewayOrgOf,
  startLocalIssuer,
  type LocalIssuer,
} from '../support/auth.js';
import { totalCalls } from '../support/emulator.js';

// Issue 12, finding 1 (a token of another org read and changed org-1 users in AUTH_MODE=jwt) and
// finding 10 (`me` answered as the gateway's service account for every caller). The gateway runs with
// client-demo-admin, so its own org is org 1; the emulator issues tokens for org 1 and org 2.
const ids = exampleUserIds();
const ORG_1_USER = ids.updateUserId;

/**
 * One operation per root field (and `_entities`), each aimed at org-1 users, with what an org-1
 * caller (client-demo-admin's token) gets from it.
 */
const ROOT_FIELDS: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
  ['user', 'query($id: ID!) { user(id: $id) { id } }', { id: ORG_1_USER }, { user: { id: ORG_1_USER } }],
  [
    'users',
    'query($ids: [ID!]!) { users(ids: $ids) { id } }',
    { ids: ids.userIds },
    { users: ids.userIds.map((id) => ({ id })) },
  ],
  [
    'searchUsers',
    '{ searchUsers(first: 100) { totalCount nodes { id orgId } } }',
    {},
    {
      searchUsers: {
        totalCount: expect.any(Number),
        nodes: Array.from({ length: 100 }, () => ({ id: expect.any(String), orgId: ORG_1_ID })),
      },
    },
  ],
  [
    'me',
    '{ me { subject user { id } organization { id } } }',
    {},
    {
      me: {
        subject: DEMO_OWNER_IDS.org1Admin,
        user: { id: DEMO_OWNER_IDS.org1Admin },
        organization: { id: ORG_1_ID },
      },
    },
  ],
  [
    'updateUser',
    'mutation($id: ID!) { updateUser(id: $id, input: { nick: "changed", enabled: false }) { __typename } }',
    { id: ORG_1_USER },
    { updateUser: { __typename: 'UpdateUserSuccess' } },
  ],
  [
    '_entities',
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }',
    { r: ids.userIds.map((id) => ({ __typename: 'User', id })) },
    { _entities: ids.userIds.map((id) => ({ id })) },
  ],
];

const OTHER_ORG = {
  status: 403,
  body: {
    errors: [
      { message: 'The access token belongs to another organisation', extensions: { code: 'FORBIDDEN' } },
    ],
  },
};
const NO_ORG = {
  status: 403,
  body: {
    errors: [{ message: 'The access token names no organisation', extensions: { code: 'FORBIDDEN' } }],
  },
};

/** A user as the emulator holds it, read with org 1's own credentials (no gateway involved). */
async function org1User(gw: TestGateway, id: string): Promise<unknown> {
  const token = await gw.emulator.token('client-demo-admin');
  const response = await fetch(`${gw.emulator.url}/iroh/user-mgmt/users/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return response.json();
}

describe('AUTH_MODE=jwt: every caller is bound to the gateway’s org (finding 1)', () => {
  let gw: TestGateway;
  const logs = captureLogs();
  let org1Admin: string;
  let org1Reader: string;
  let org2Admin: string;

  beforeAll(async () => {
    let gatewayOrgId: () => Promise<string> = () => Promise.reject(new Error('not wired'));
    gw = await startTestGateway({
      app: { logger: logs.logger },
      authenticate: ({ emulator, upstream }) => {
        gatewayOrgId = gatewayOrgOf(upstream);
        return createAuthenticator(emulatorJwtConfig(emulator.url), { gatewayOrgId, logger: logs.logger });
      },
    });
    // Learnt once, as createGateway does at start: what follows counts the callers' calls alone.
    expect(await gatewayOrgId()).toBe(ORG_1_ID);
    org1Admin = await gw.emulator.token('client-demo-admin');
    org1Reader = await gw.emulator.token('client-demo-readonly');
    org2Admin = await gw.emulator.token('client-demo-org2');
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.resetStats());

  it.each(ROOT_FIELDS)(
    'refuses an org-2 token with 403 FORBIDDEN and 0 upstream calls, and serves org 1: %s',
    async (_field, query, variables, org1Data) => {
      const before = await org1User(gw, ORG_1_USER);
      await gw.emulator.resetStats();
      expect(await gw.postAs(org2Admin, query, variables)).toEqual(OTHER_ORG);
      expect(totalCalls(await gw.emulator.stats())).toBe(0);
      // Nothing changed upstream either (the org-2 token once disabled this org-1 user).
      expect(await org1User(gw, ORG_1_USER)).toEqual(before);
      expect(await gw.postAs(org1Admin, query, variables)).toEqual({
        status: 200,
        body: { data: org1Data },
      });
    },
  );

  it('refuses an org-2 token whatever it asks for, even a bare __typename', async () => {
    expect(await gw.postAs(org2Admin, '{ __typename }')).toEqual(OTHER_ORG);
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('answers me as the caller, not the gateway’s service account (finding 10)', async () => {
    const query = '{ me { subject clientId scopes user { id orgId } organization { id } } }';
    // The read-only client is owned by org 1's plain user; the gateway's own client by its admin.
    expect(await gw.postAs(org1Reader, query)).toEqual({
      status: 200,
      body: {
        data: {
          me: {
            subject: DEMO_OWNER_IDS.org1Reader,
            clientId: 'client-demo-readonly',
            scopes: ['users:read', 'profile:read'],
            user: { id: DEMO_OWNER_IDS.org1Reader, orgId: ORG_1_ID },
            organization: { id: ORG_1_ID },
          },
        },
      },
    });
    // The user through the request's loader (one batch), the org through whoami.
    expect((await gw.emulator.stats()).calls).toEqual(
      expect.objectContaining({ batchUsers: 1, whoami: 1, getUser: 0 }),
    );
  });

  it('resolves me lazily: the caller’s own claims cost no upstream call', async () => {
    expect(await gw.postAs(org1Admin, '{ me { subject clientId scopes } }')).toEqual({
      status: 200,
      body: {
        data: {
          me: {
            subject: DEMO_OWNER_IDS.org1Admin,
            clientId: 'client-demo-admin',
            scopes: ['users', 'profile'],
          },
        },
      },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('logs each refusal with its reason, never the token nor an org id', () => {
    const refusals = logs.lines().filter((line) => line['event'] === 'auth_rejected');
    expect(refusals.length).toBeGreaterThanOrEqual(ROOT_FIELDS.length);
    for (const line of refusals) {
      expect(line).toEqual(expect.objectContaining({ mode: 'jwt', reason: 'other_org' }));
    }
    expect(leaks(logs.text(), [org2Admin, org1Admin, org1Reader])).toEqual([]);
    expect(JSON.stringify(refusals)).not.toContain(ORG_2_ID);
  });
});

describe('AUTH_MODE=jwt: tokens that name no org, other org claims, and the gateway’s org unknown', () => {
  let issuer: LocalIssuer;
  let gw: TestGateway;
  const logs = captureLogs();
  /** Authenticators over the same gateway, swapped per test (the gateway asks `current`). */
  let current: Authenticate;
  const scopes = { scope: 'users profile' };

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    gw = await startTestGateway({
      app: { logger: logs.logger },
      authenticate: () => (request) => current(request),
    });
  });
  afterAll(async () => {
    await gw.close();
    await issuer.close();
  });
  beforeEach(() => gw.emulator.resetStats());

  const bind = (
    orgClaim: string | null,
    gatewayOrgId: () => Promise<string> = async () => ORG_1_ID,
  ): void => {
    current = createAuthenticator(issuer.jwtConfig({ orgClaim }), { gatewayOrgId, logger: logs.logger });
  };

  it('refuses to build a jwt authenticator without the gateway’s org (fail closed)', () => {
    expect(() => createAuthenticator(issuer.jwtConfig())).toThrow('AUTH_MODE=jwt needs gatewayOrgId');
  });

  it('refuses, with the Cisco org claim, a token that names no org or a non-string one', async () => {
    bind(CISCO_ORG_CLAIM);
    for (const claims of [
      scopes,
      { ...scopes, [CISCO_ORG_CLAIM]: '' },
      { ...scopes, [CISCO_ORG_CLAIM]: 1 },
      { ...scopes, [CISCO_ORG_CLAIM]: [ORG_1_ID] },
      // The org in another claim than the one the deployment names.
      { ...scopes, org_id: ORG_1_ID },
    ]) {
      expect(await gw.postAs(await issuer.sign(claims), '{ me { subject } }')).toEqual(NO_ORG);
    }
    expect(
      await gw.postAs(await issuer.sign({ ...scopes, [CISCO_ORG_CLAIM]: ORG_2_ID }), '{ me { subject } }'),
    ).toEqual(OTHER_ORG);
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
    expect(
      await gw.postAs(await issuer.sign({ ...scopes, [CISCO_ORG_CLAIM]: ORG_1_ID }), '{ me { subject } }'),
    ).toEqual({ status: 200, body: { data: { me: { subject: 'caller-1' } } } });
  });

  it('reads the org from the claim AUTH_ORG_CLAIM names', async () => {
    bind('org_id');
    const ask = async (claims: Record<string, unknown>) =>
      gw.postAs(await issuer.sign({ ...scopes, ...claims }), '{ me { subject } }');
    expect(await ask({ org_id: ORG_1_ID })).toEqual({
      status: 200,
      body: { data: { me: { subject: 'caller-1' } } },
    });
    expect(await ask({ org_id: ORG_2_ID, [IDENTITY_CLAIMS.orgId]: ORG_1_ID })).toEqual(OTHER_ORG);
    expect(await ask({ [IDENTITY_CLAIMS.orgId]: ORG_1_ID })).toEqual(NO_ORG);
  });

  it('binds every caller of a single-tenant issuer (AUTH_ORG_CLAIM=none) to the gateway’s org', async () => {
    bind(null);
    const token = await issuer.sign({ ...scopes, sub: 'employee-7', [CISCO_ORG_CLAIM]: ORG_2_ID });
    await expect(
      current(new Request('http://gateway.test/graphql', { headers: { authorization: `Bearer ${token}` } })),
    ).resolves.toEqual({
      caller: { kind: 'jwt', subject: 'employee-7', orgId: ORG_1_ID, scopes: ['users', 'profile'] },
    });
    // Served, within org 1: the subject is no user there, the org is the gateway's.
    expect(await gw.postAs(token, '{ me { subject user { id } organization { id } } }')).toEqual({
      status: 200,
      body: { data: { me: { subject: 'employee-7', user: null, organization: { id: ORG_1_ID } } } },
    });
    const audit = () => logs.lines().filter((line) => line['event'] === 'audit.update_user');
    const audited = audit().length;
    await gw.postAs(
      token,
      'mutation($id: ID!) { updateUser(id: $id, input: { nick: "sso" }) { __typename } }',
      {
        id: ORG_1_USER,
      },
    );
    expect(audit().slice(audited)).toEqual([
      expect.objectContaining({
        caller: expect.objectContaining({ subject: 'employee-7', orgId: ORG_1_ID }),
      }),
    ]);
  });

  it('never sends a subject that cannot be a user id upstream as one', async () => {
    bind(null);
    const token = await issuer.sign({ ...scopes, sub: '../../batch/users?ids=x' });
    expect(await gw.postAs(token, '{ me { subject user { id } } }')).toEqual({
      status: 200,
      body: { data: { me: { subject: '../../batch/users?ids=x', user: null } } },
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('answers 503 UPSTREAM_UNAVAILABLE while the gateway’s org is unknown, and asks again next time', async () => {
    let asked = 0;
    bind(CISCO_ORG_CLAIM, async () => {
      asked += 1;
      if (asked === 1) throw new Error(`whoami failed at http://upstream.internal with secret-xyz`);
      return ORG_1_ID;
    });
    const token = await issuer.sign({ ...scopes, [CISCO_ORG_CLAIM]: ORG_1_ID });
    expect(await gw.postAs(token, '{ me { subject } }')).toEqual({
      status: 503,
      body: {
        errors: [
          {
            message: 'The gateway cannot establish its organisation; try again later',
            extensions: { code: 'UPSTREAM_UNAVAILABLE' },
          },
        ],
      },
    });
    expect(await gw.postAs(token, '{ me { subject } }')).toEqual({
      status: 200,
      body: { data: { me: { subject: 'caller-1' } } },
    });
    expect(asked).toBe(2);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({ event: 'gateway_org_unavailable', kind: 'Error' }),
    );
    expect(leaks(logs.text(), ['secret-xyz', 'upstream.internal'])).toEqual([]);
  });
});

describe('AUTH_MODE=forward: each caller sees its own org only', () => {
  let gw: TestGateway;
  let org2Admin: string;
  let org2Users: number;

  beforeAll(async () => {
    gw = await startTestGateway({
      authenticate: ({ emulator, upstream }) =>
        createAuthenticator(emulatorForwardConfig(), {
          forCaller: upstream.forCaller,
          upstreamUrl: emulator.url,
        }),
    });
    org2Admin = await gw.emulator.token('client-demo-org2');
    org2Users = (await restSearch(gw.emulator, 'client-demo-org2', { limit: 1000 })).length;
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.resetStats());

  it('serves an org-2 token org 2 alone through every root field and _entities; me is that caller (findings 1, 10)', async () => {
    const before = await org1User(gw, ORG_1_USER);
    await gw.emulator.resetStats();
    const read = await gw.postAs(
      org2Admin,
      `query($id: ID!, $ids: [ID!]!, $r: [_Any!]!) {
        user(id: $id) { id }
        users(ids: $ids) { id }
        searchUsers(first: 100) { totalCount nodes { orgId } }
        _entities(representations: $r) { ... on User { id } }
        me { subject clientId scopes user { id } organization { id } }
      }`,
      { id: ORG_1_USER, ids: ids.userIds, r: ids.userIds.map((id) => ({ __typename: 'User', id })) },
    );
    expect(read).toEqual({
      status: 200,
      body: {
        data: {
          user: null,
          users: ids.userIds.map(() => null),
          searchUsers: {
            totalCount: org2Users,
            nodes: Array.from({ length: Math.min(org2Users, 100) }, () => ({ orgId: ORG_2_ID })),
          },
          _entities: ids.userIds.map(() => null),
          me: {
            subject: DEMO_OWNER_IDS.org2Admin,
            clientId: 'client-demo-org2',
            scopes: ['users', 'profile'],
            user: { id: DEMO_OWNER_IDS.org2Admin },
            organization: { id: ORG_2_ID },
          },
        },
      },
    });
    const update = await gw.postAs(
      org2Admin,
      'mutation($id: ID!) { updateUser(id: $id, input: { enabled: false }) { __typename } }',
      { id: ORG_1_USER },
    );
    expect(update).toEqual({ status: 200, body: { data: { updateUser: { __typename: 'NotFoundError' } } } });
    // The caller's own token went upstream each time, never the gateway's.
    expect((await gw.emulator.stats()).calls.token).toBe(0);
    expect(await org1User(gw, ORG_1_USER)).toEqual(before);
  });
});

describe('AUTH_MODE=none: me is the gateway’s own account (finding 10)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('answers from one whoami, shared by user and organization', async () => {
    await gw.post('{ __typename }');
    await gw.emulator.resetStats();
    expect(await gw.post('{ me { subject clientId scopes user { id } organization { id } } }')).toEqual({
      data: {
        me: {
          subject: 'anonymous',
          clientId: null,
          scopes: ['users', 'profile'],
          user: { id: DEMO_OWNER_IDS.org1Admin },
          organization: { id: ORG_1_ID },
        },
      },
    });
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ whoami: 1, batchUsers: 0 }));
  });
});
