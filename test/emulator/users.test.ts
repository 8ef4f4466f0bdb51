import { DEMO_CLIENTS, DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { presentOrg, presentUser } from '../../src/emulator/model.js';
import { createSeedData } from '../../src/emulator/seed.js';
import { TRACE_ID, call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';

const seed = createSeedData();
const seedUser = (id: string) => {
  const user = seed.users.find((u) => u['user-id'] === id);
  if (!user) throw new Error(`no seeded user ${id}`);
  return user;
};
const org1Users = seed.users.filter((u) => u['org-id'] === ORG_1_ID);
const org2Users = seed.users.filter((u) => u['org-id'] === ORG_2_ID);

let emulator: TestEmulator;
let adminToken: string;
let readonlyToken: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  adminToken = await emulator.token('client-demo-admin');
  readonlyToken = await emulator.token('client-demo-readonly');
});
afterAll(() => emulator.close());

describe('GET /iroh/profile/whoami', () => {
  it.each(DEMO_CLIENTS.map((c) => [c.clientId, c] as const))(
    'answers the owner and org of %s',
    async (_, client) => {
      const token = await emulator.token(client.clientId);
      const answer = await call(emulator.url, 'GET', '/iroh/profile/whoami', { token });
      const org = seed.orgs.find((o) => o.id === client.orgId);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        user: presentUser(seedUser(client.ownerUserId)),
        org: org && presentOrg(org),
      });
      expect(Object.keys((answer.body as { org: object }).org)).toEqual([
        'id',
        'name',
        'additional-scopes',
        'scim-status',
        'activation-status',
        'allow-all-role-to-login',
        'enabled?',
        'created-at',
        'updated-at',
        'settings',
      ]);
    },
  );

  it('names the owners’ roles as documented', async () => {
    const role = (id: string) => seedUser(id).role;
    expect([
      role(DEMO_OWNER_IDS.org1Admin),
      role(DEMO_OWNER_IDS.org1Reader),
      role(DEMO_OWNER_IDS.org2Admin),
    ]).toEqual(['admin', 'user', 'admin']);
  });
});

describe('GET /iroh/user-mgmt/users/{id}', () => {
  const bareUuidUser = org1Users.find((u) => !u['user-id'].startsWith('idb-amp:'));
  const idbUser = org1Users.find((u) => u['user-id'].startsWith('idb-amp:') && u.scim?.['access-token']);

  it('answers a user of the caller’s org, with a bare UUID id', async () => {
    if (!bareUuidUser) throw new Error('the seed has no bare-UUID user');
    const answer = await call(emulator.url, 'GET', `/iroh/user-mgmt/users/${bareUuidUser['user-id']}`, {
      token: readonlyToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body).toEqual(presentUser(bareUuidUser));
  });

  it('percent-decodes an idb-amp: id, and returns scim as stored (access token included)', async () => {
    if (!idbUser) throw new Error('the seed has no idb-amp user with a SCIM token');
    const path = `/iroh/user-mgmt/users/${encodeURIComponent(idbUser['user-id'])}`;
    expect(path).toContain('idb-amp%3A');
    const answer = await call(emulator.url, 'GET', path, { token: adminToken });
    expect(answer.body).toEqual(presentUser(idbUser));
    expect(answer.body).toEqual(
      expect.objectContaining({ scim: expect.objectContaining({ 'access-token': expect.any(String) }) }),
    );
    // The colon is legal in a path segment, so an unencoded id works too.
    const raw = await call(emulator.url, 'GET', `/iroh/user-mgmt/users/${idbUser['user-id']}`, {
      token: adminToken,
    });
    expect(raw.body).toEqual(presentUser(idbUser));
  });

  it('answers 404 for an unknown id and for another org’s user, indistinguishably', async () => {
    const otherOrgUser = org2Users[0];
    if (!otherOrgUser) throw new Error('org 2 is empty');
    const unknownId = 'idb-amp:00000000-0000-4000-8000-00000000beef';
    const unknown = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(unknownId)}`,
      {
        token: adminToken,
      },
    );
    const otherOrg = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(otherOrgUser['user-id'])}`,
      { token: adminToken },
    );
    expect({ status: unknown.status, body: unknown.body }).toEqual({
      status: 404,
      body: {
        error: 'not_found',
        error_description: `no user ${unknownId} in this organisation`,
        trace_id: TRACE_ID,
      },
    });
    expect({ status: otherOrg.status, body: otherOrg.body }).toEqual({
      status: 404,
      body: {
        error: 'not_found',
        error_description: `no user ${otherOrgUser['user-id']} in this organisation`,
        trace_id: TRACE_ID,
      },
    });
    // Seen from org 2, the same user is there.
    const org2Token = await emulator.token('client-demo-org2');
    const own = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(otherOrgUser['user-id'])}`,
      {
        token: org2Token,
      },
    );
    expect(own.body).toEqual(presentUser(otherOrgUser));
  });

  it('answers 403 missing_scope to a token without a users scope', async () => {
    await emulator.addClient({
      clientId: 'client-profile-only',
      clientSecret: 'profile-only-secret',
      ownerUserId: DEMO_OWNER_IDS.org1Admin,
      scopes: ['profile'],
    });
    const token = await emulator.token('client-profile-only', 'profile-only-secret');
    const answer = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(DEMO_OWNER_IDS.org1Admin)}`,
      {
        token,
      },
    );
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 403,
      body: {
        error: 'missing_scope',
        error_description: 'this route needs one of the scopes: users:read, users, admin',
        'missing-scopes': ['users:read'],
        'required-scopes': ['users:read'],
        scopes: ['profile'],
        'user-id': DEMO_OWNER_IDS.org1Admin,
        'org-id': ORG_1_ID,
        trace_id: TRACE_ID,
      },
    });
  });
});
