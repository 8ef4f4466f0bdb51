import { DEMO_CLIENTS, DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { ROLES } from '../../src/emulator/model.js';
import type { StoredUser } from '../../src/emulator/model.js';
import {
  DEFAULT_SEED,
  SEED_IDPS,
  createSeedData,
  exampleUserIds,
  generateSeedData,
} from '../../src/emulator/seed.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { requestToken } from '../support/rest.js';
import { postJson } from '../support/http.js';

describe('seed data', () => {
  const seed = createSeedData();

  it('is the same for the same seed number, and differs for another', () => {
    expect(JSON.stringify(generateSeedData(DEFAULT_SEED))).toBe(JSON.stringify(seed));
    const other = generateSeedData(7);
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(seed));
    // The demo owners and orgs do not depend on the seed number.
    const owners = (data: typeof seed) =>
      data.users.filter((u) => Object.values(DEMO_OWNER_IDS).includes(u['user-id'] as never));
    expect(owners(other)).toEqual(owners(seed));
    expect(other.orgs).toEqual(seed.orgs);
  });

  it("is generated once per seed number and shared frozen, so no emulator can change another one's users", () => {
    expect(createSeedData()).toBe(seed);
    expect(createSeedData(7)).not.toBe(seed);
    const user = seed.users[0] as StoredUser;
    expect(() => {
      user['user-name'] = 'changed';
    }).toThrow(TypeError);
    expect(Object.isFrozen(seed.users)).toBe(true);
  });

  it.each([
    [ORG_1_ID, 1002],
    [ORG_2_ID, 51],
  ])('org %s has %i users with every role, disabled users, idps and both id formats', (orgId, count) => {
    const users = seed.users.filter((u) => u['org-id'] === orgId);
    expect(users).toHaveLength(count);
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(ROLES));
    expect(users.some((u) => !u['enabled?'] && u['blocked-at'])).toBe(true);
    expect(users.some((u) => u['user-id'].startsWith('idb-amp:'))).toBe(true);
    expect(users.some((u) => /^[0-9a-f-]{36}$/.test(u['user-id']))).toBe(true);
    expect(users.some((u) => u['last-logged-at'].length === 0)).toBe(true);
    expect(users.some((u) => u['last-logged-at'].length > 1)).toBe(true);
    if (count > 100) {
      expect(new Set(users.flatMap((u) => u['idp-mappings'].map((m) => m.idp)))).toEqual(new Set(SEED_IDPS));
      expect(users.some((u) => u['additional-scopes'].length > 0)).toBe(true);
      expect(users.some((u) => u.scim?.['access-token'])).toBe(true);
      expect(users.some((u) => u.scim && !u.scim['access-token'])).toBe(true);
      expect(users.some((u) => u['piam-custom-role-id'])).toBe(true);
    }
  });

  it('has unique ids, consistent scopes and timestamps in a fixed range', () => {
    expect(new Set(seed.users.map((u) => u['user-id'])).size).toBe(seed.users.length);
    for (const user of seed.users) {
      expect(user['role-ids'][0]).toBe(user.role);
      for (const scope of user['additional-scopes']) expect(user.scopes).toContain(scope);
      const created = Date.parse(user['created-at']);
      expect(created).toBeGreaterThanOrEqual(Date.parse('2019-01-01T00:00:00Z'));
      expect(created).toBeLessThan(Date.parse('2025-01-01T00:00:00Z'));
      for (const login of user['last-logged-at']) expect(Date.parse(login)).toBeGreaterThan(created);
    }
  });

  it('owns each demo client with a user of the documented role', () => {
    const role = (id: string) => seed.users.find((u) => u['user-id'] === id)?.role;
    expect(DEMO_CLIENTS.map((c) => [c.clientId, c.orgId, role(c.ownerUserId)])).toEqual([
      ['client-demo-admin', ORG_1_ID, 'admin'],
      ['client-demo-readonly', ORG_1_ID, 'user'],
      ['client-demo-org2', ORG_2_ID, 'admin'],
    ]);
  });

  it('offers example ids of org 1 for GraphiQL', () => {
    const examples = exampleUserIds();
    const org1 = new Map(seed.users.filter((u) => u['org-id'] === ORG_1_ID).map((u) => [u['user-id'], u]));
    for (const id of [examples.userId, ...examples.userIds, examples.updateUserId])
      expect(org1.has(id)).toBe(true);
    expect(org1.get(examples.updateUserId)?.role).toBe('user');
  });
});

describe('determinism over HTTP', () => {
  let a: RunningEmulator;
  let b: RunningEmulator;
  beforeAll(async () => {
    [a, b] = await Promise.all([startEmulator({ seed: 99 }), startEmulator({ seed: 99 })]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  async function searchText(emulator: RunningEmulator, query: string): Promise<string> {
    const issued = await requestToken(emulator.url, 'client-demo-admin', 'demo-admin-secret');
    const token = (issued.body as { access_token: string }).access_token;
    const response = await postJson(`${emulator.url}/iroh/user-mgmt/search/users?${query}`, '{}', {
      authorization: `Bearer ${token}`,
    });
    return response.text();
  }

  it.each(['limit=1000', 'limit=1000&offset=1000', 'sort_by=last-logged-at&sort_order=desc&limit=1000'])(
    'two emulators with the same seed answer byte-identical searches (%s)',
    async (query) => {
      const [textA, textB] = await Promise.all([searchText(a, query), searchText(b, query)]);
      expect(textA.length).toBeGreaterThan(1000);
      expect(textA).toBe(textB);
    },
  );
});
