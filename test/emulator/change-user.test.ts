import { DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { presentUser, scopesFor } from '../../src/emulator/model.js';
import type { StoredUser } from '../../src/emulator/model.js';
import { createSeedData } from '../../src/emulator/seed.js';
import { TRACE_ID, call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';

const seed = createSeedData();
const org1 = seed.users.filter((u) => u['org-id'] === ORG_1_ID);
const ownerIds: readonly string[] = Object.values(DEMO_OWNER_IDS);
const plainUsers = org1.filter((u) => u.role === 'user' && u['enabled?'] && !ownerIds.includes(u['user-id']));
const nthPlainUser = (n: number): StoredUser => {
  const user = plainUsers[n];
  if (!user) throw new Error('not enough plain users in the seed');
  return user;
};

let emulator: TestEmulator;
let adminToken: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  adminToken = await emulator.token('client-demo-admin');
});
afterAll(() => emulator.close());

const change = (id: string, json: unknown, token = adminToken) =>
  call(emulator.url, 'POST', `/iroh/user-mgmt/users/${encodeURIComponent(id)}`, { token, json });
/** Matches an ISO date-time written between `before` and now. */
const isoNear = (before: number) => ({
  asymmetricMatch: (value: unknown) =>
    typeof value === 'string' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) &&
    Date.parse(value) >= before &&
    Date.parse(value) <= Date.now(),
  toString: () => `an ISO date-time since ${new Date(before).toISOString()}`,
});

describe('POST /iroh/user-mgmt/users/{id}', () => {
  it('changes user-name and user-nick and sets updated-at', async () => {
    const user = nthPlainUser(0);
    const before = Date.now();
    const answer = await change(user['user-id'], { 'user-name': 'Renamed Person', 'user-nick': 'renamed' });
    expect(answer.status).toBe(200);
    const updated = answer.body as Record<string, unknown>;
    expect(updated).toEqual(
      presentUser({
        ...user,
        'user-name': 'Renamed Person',
        'user-nick': 'renamed',
        'updated-at': updated['updated-at'] as string,
      }),
    );
    expect(updated['updated-at']).toEqual(isoNear(before));
    // The change is stored, not just echoed.
    const reread = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(user['user-id'])}`,
      {
        token: adminToken,
      },
    );
    expect(reread.body).toEqual(updated);
  });

  it('serves a changed user through every route, and only from the emulator it was changed in', async () => {
    const user = nthPlainUser(4);
    const id = user['user-id'];
    const updated = (await change(id, { 'user-name': 'Changed Here' })).body as Record<string, unknown>;
    const batch = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/batch/users?id=${encodeURIComponent(id)}`,
      {
        token: adminToken,
      },
    );
    expect(batch.body).toEqual([updated]);
    const search = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users?limit=100', {
      token: adminToken,
      json: { query: 'changed here' },
    });
    expect(search.body).toEqual(expect.objectContaining({ data: [updated] }));
    // The seed every emulator of the process starts from is untouched.
    const other = await startTestEmulator();
    try {
      const otherToken = await other.token('client-demo-admin');
      const fresh = await call(other.url, 'GET', `/iroh/user-mgmt/users/${encodeURIComponent(id)}`, {
        token: otherToken,
      });
      expect(fresh.body).toEqual(presentUser(user));
    } finally {
      await other.close();
    }
  });

  it('promotes to admin and back, keeping role-ids and scopes consistent with the role', async () => {
    const user = org1.find((u) => u.role === 'user' && u['role-ids'].length > 1);
    if (!user) throw new Error('the seed has no plain user with a custom role');
    const customRole = user['role-ids'][1];
    const promoted = (await change(user['user-id'], { role: 'admin' })).body as Record<string, unknown>;
    expect(promoted).toEqual(
      expect.objectContaining({
        role: 'admin',
        'role-ids': ['admin', customRole],
        scopes: scopesFor('admin', user['additional-scopes']),
      }),
    );
    const demoted = (await change(user['user-id'], { role: 'user' })).body as Record<string, unknown>;
    expect(demoted).toEqual(presentUser({ ...user, 'updated-at': demoted['updated-at'] as string }));
  });

  it('disabling sets blocked-at, enabling sets enabled-at', async () => {
    const user = nthPlainUser(1);
    const before = Date.now();
    const disabled = (await change(user['user-id'], { 'enabled?': false })).body as Record<string, unknown>;
    expect(disabled).toEqual(
      presentUser({
        ...user,
        'enabled?': false,
        'blocked-at': disabled['blocked-at'] as string,
        'updated-at': disabled['updated-at'] as string,
      }),
    );
    expect(disabled['blocked-at']).toEqual(isoNear(before));
    expect(disabled['enabled-at']).toBe(user['enabled-at']);

    const enabled = (await change(user['user-id'], { 'enabled?': true })).body as Record<string, unknown>;
    expect(enabled['enabled?']).toBe(true);
    expect(enabled['enabled-at']).toEqual(isoNear(before));
    expect(enabled['blocked-at']).toBe(disabled['blocked-at']);
  });

  it.each([
    ['user-id', 'idb-amp:x'],
    ['user-email', 'x@example.com'],
    ['org-id', ORG_2_ID],
    ['scopes', ['admin']],
    ['role-ids', ['admin']],
    ['additional-scopes', ['admin']],
    ['created-at', '2020-01-01T00:00:00.000Z'],
    ['enabled', false],
    ['unknown-key', 1],
  ])('refuses the key %s as disallowed-key', async (key, value) => {
    const answer = await change(nthPlainUser(2)['user-id'], { [key]: value });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: { errors: { [key]: 'disallowed-key' } },
    });
  });

  it.each([
    ['role', 'master'],
    ['role', 'sat'],
    ['role', 'ADMIN'],
    ['role', null],
    ['enabled?', 'false'],
    ['enabled?', 0],
    ['user-name', ''],
    ['user-name', '   '],
    ['user-name', 42],
    ['user-name', 'x'.repeat(257)],
    ['user-nick', 'tab\there'],
    ['user-nick', null],
  ])('refuses %s = %j as invalid-value', async (key, value) => {
    const answer = await change(nthPlainUser(2)['user-id'], { [key]: value });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: { errors: { [key]: 'invalid-value' } },
    });
  });

  it('reports every bad key at once and changes nothing', async () => {
    const user = nthPlainUser(2);
    const answer = await change(user['user-id'], { 'user-nick': 'fine', role: 'root', scopes: [] });
    expect(answer.body).toEqual({ errors: { role: 'invalid-value', scopes: 'disallowed-key' } });
    const reread = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(user['user-id'])}`,
      {
        token: adminToken,
      },
    );
    expect(reread.body).toEqual(presentUser(user));
  });

  it('answers 400 to an empty body, an empty object and a non-object', async () => {
    const id = encodeURIComponent(nthPlainUser(2)['user-id']);
    const empty = await call(emulator.url, 'POST', `/iroh/user-mgmt/users/${id}`, { token: adminToken });
    expect({ status: empty.status, body: empty.body }).toEqual({
      status: 400,
      body: { errors: { body: 'missing-required-key' } },
    });
    expect((await change(nthPlainUser(2)['user-id'], {})).body).toEqual({
      errors: { body: 'missing-required-key' },
    });
    expect((await change(nthPlainUser(2)['user-id'], [{ role: 'user' }])).body).toEqual({
      errors: { body: 'invalid-value' },
    });
  });

  it('refuses to let the caller demote or disable itself', async () => {
    const self = DEMO_OWNER_IDS.org1Admin;
    for (const json of [{ role: 'user' }, { 'enabled?': false }, { 'user-nick': 'me', role: 'user' }]) {
      const answer = await change(self, json);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: { errors: { 'user-id': 'invalid-value' } },
      });
    }
    // Harmless self-changes are fine.
    const renamed = await change(self, { 'user-nick': 'ada-the-admin', role: 'admin', 'enabled?': true });
    expect(renamed.body).toEqual(
      expect.objectContaining({ 'user-nick': 'ada-the-admin', role: 'admin', 'enabled?': true }),
    );
  });

  it('answers 404 for an unknown user and for another org’s user', async () => {
    const org2User = seed.users.find((u) => u['org-id'] === ORG_2_ID);
    for (const id of ['idb-amp:00000000-0000-4000-8000-00000000cafe', org2User?.['user-id'] ?? '']) {
      const answer = await change(id, { 'user-nick': 'x' });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 404,
        body: {
          error: 'not_found',
          error_description: `no user ${id} in this organisation`,
          trace_id: TRACE_ID,
        },
      });
    }
  });

  it('answers 403 missing_scope to the read-only client', async () => {
    const token = await emulator.token('client-demo-readonly');
    const answer = await change(nthPlainUser(3)['user-id'], { 'user-nick': 'x' }, token);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 403,
      body: {
        error: 'missing_scope',
        error_description: 'this route needs one of the scopes: users, admin',
        'missing-scopes': ['users'],
        'required-scopes': ['users'],
        scopes: ['users:read', 'profile:read'],
        'user-id': DEMO_OWNER_IDS.org1Reader,
        'org-id': ORG_1_ID,
        trace_id: TRACE_ID,
      },
    });
  });

  it('answers 403 insufficient_role when the caller has the scope but is not an admin', async () => {
    await emulator.addClient({
      clientId: 'client-writer-not-admin',
      clientSecret: 'writer-secret',
      ownerUserId: DEMO_OWNER_IDS.org1Reader,
      scopes: ['users', 'profile'],
    });
    const token = await emulator.token('client-writer-not-admin', 'writer-secret');
    const answer = await change(nthPlainUser(3)['user-id'], { 'user-nick': 'x' }, token);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 403,
      body: {
        error: 'insufficient_role',
        error_description: 'changing a user requires a caller whose role is admin',
        'required-role': 'admin',
        role: 'user',
        'user-id': DEMO_OWNER_IDS.org1Reader,
        'org-id': ORG_1_ID,
        trace_id: TRACE_ID,
      },
    });
  });

  it('answers 415 to a body that is not sent as JSON, and 400 to malformed JSON', async () => {
    const path = `/iroh/user-mgmt/users/${encodeURIComponent(nthPlainUser(3)['user-id'])}`;
    const text = await call(emulator.url, 'POST', path, {
      token: adminToken,
      body: '{"user-nick":"x"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect({ status: text.status, body: text.body }).toEqual({
      status: 415,
      body: {
        error: 'unsupported_media_type',
        error_description: 'send the body as application/json',
        trace_id: TRACE_ID,
      },
    });
    const broken = await call(emulator.url, 'POST', path, {
      token: adminToken,
      body: '{"user-nick":',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect({ status: broken.status, body: broken.body }).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'the request body is not valid JSON',
        trace_id: TRACE_ID,
      },
    });
  });
});
