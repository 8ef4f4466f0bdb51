import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';
import { clientOf } from '../support/client.js';

let gw: TestGateway;
/** 130 users of org 1 in creation order, read straight from the emulator's REST API. */
let org1: Record<string, unknown>[];
let org2Id: string;

beforeAll(async () => {
  gw = await startTestGateway();
  org1 = await restSearch(gw.emulator, 'client-demo-admin', { limit: 130 });
  const [other] = await restSearch(gw.emulator, 'client-demo-org2', { limit: 1 });
  org2Id = String(other?.['user-id']);
  await gw.emulator.resetStats();
});

afterAll(() => gw.close());
beforeEach(() => gw.emulator.resetStats());

const idOf = (i: number) => String(org1[i]?.['user-id']);

describe('user(id)', () => {
  it('returns every upstream field in camelCase, for one batch call and no single get', async () => {
    const rest = org1[3] as Record<string, unknown>;
    const { user } = await clientOf(gw).getUser(idOf(3));
    expect(user).toEqual({
      id: rest['user-id'],
      orgId: rest['org-id'],
      email: rest['user-email'] ?? null,
      name: rest['user-name'] ?? null,
      nick: rest['user-nick'] ?? null,
      role: String(rest.role).toUpperCase(),
      roleIds: rest['role-ids'] ?? [],
      scopes: rest.scopes,
      additionalScopes: rest['additional-scopes'] ?? [],
      enabled: rest['enabled?'],
      createdAt: new Date(String(rest['created-at'])).toISOString(),
      updatedAt: iso(rest['updated-at']),
      enabledAt: iso(rest['enabled-at']),
      blockedAt: iso(rest['blocked-at']),
      lastLoggedAt: ((rest['last-logged-at'] as string[] | undefined) ?? []).map((t) => iso(t)),
      lastLoginAt: latest((rest['last-logged-at'] as string[] | undefined) ?? []),
      idpMappings: ((rest['idp-mappings'] as Record<string, unknown>[] | undefined) ?? []).map((m) => ({
        idp: m.idp,
        userIdentityId: m['user-identity-id'],
        enabled: m['enabled?'] ?? null,
      })),
    });
    const stats = await gw.emulator.stats();
    expect(stats.calls.batchUsers).toBe(1);
    expect(stats.calls.getUser).toBe(0);
    expect(stats.batchSizes).toEqual([1]);
  });

  it('is null for an unknown id and for a user of another organisation', async () => {
    const res = await gw.post('query($a: ID!, $b: ID!) { a: user(id: $a) { id } b: user(id: $b) { id } }', {
      a: 'idb-amp:00000000-dead-beef-0000-000000000000',
      b: org2Id,
    });
    expect(res).toEqual({ data: { a: null, b: null } });
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(1);
  });
});

describe('batching', () => {
  it('50 aliased user fields plus users(ids) over 120 ids, one unknown and 10 repeats cost 2 batch calls', async () => {
    const unknown = 'idb-amp:ffffffff-0000-0000-0000-000000000000';
    // 50 aliases over ids 0..49; the list holds 120 known ids (10..129, so 40 overlap the aliases), one
    // unknown id and 10 repeats: 130 distinct known ids + 1 unknown = 131 distinct ids → 2 calls.
    const listIds = [
      ...Array.from({ length: 120 }, (_, i) => idOf(10 + i)),
      unknown,
      ...Array.from({ length: 10 }, (_, i) => idOf(10 + i)),
    ];
    const distinct = new Set([...Array.from({ length: 50 }, (_, i) => idOf(i)), ...listIds]);
    expect(distinct.size).toBe(131);
    const aliases = Array.from({ length: 50 }, (_, i) => `u${i}: user(id: "${idOf(i)}") { id email }`).join(
      '\n',
    );
    const res = await gw.post(`query($ids: [ID!]!) { ${aliases} list: users(ids: $ids) { id } }`, {
      ids: listIds,
    });

    expect(res.errors).toBeUndefined();
    const data = res.data as Record<string, { id: string } | null> & { list: ({ id: string } | null)[] };
    for (let i = 0; i < 50; i++)
      expect(data[`u${i}`]).toEqual({ id: idOf(i), email: org1[i]?.['user-email'] ?? null });
    expect(data.list).toEqual(listIds.map((id) => (id === unknown ? null : { id })));

    const stats = await gw.emulator.stats();
    expect(stats.calls.getUser).toBe(0);
    expect(stats.calls.batchUsers).toBe(Math.ceil(distinct.size / 100));
    expect(stats.calls.batchUsers).toBe(2);
    expect(stats.batchSizes.reduce((a, b) => a + b, 0)).toBe(distinct.size);
  });

  it('users(ids) keeps length and order, with null in the slots of missing users', async () => {
    const ids = [idOf(5), 'nope', idOf(1), org2Id, idOf(5)];
    const { users } = await clientOf(gw).getUsers(ids);
    expect(users.map((u) => u?.id ?? null)).toEqual([idOf(5), null, idOf(1), null, idOf(5)]);
    expect((await gw.emulator.stats()).batchSizes).toEqual([4]);
  });

  it('refuses more ids than the operation budget with 400 BAD_USER_INPUT and calls nothing upstream', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => `id-${i}`);
    const res = await gw.post('query($ids: [ID!]!) { users(ids: $ids) { id } }', { ids });
    expect(res).toEqual({
      errors: [
        {
          message: 'This operation asks for 501 user ids; LIMIT_MAX_IDS_PER_OPERATION allows 500',
          extensions: {
            code: 'BAD_USER_INPUT',
            limit: 'LIMIT_MAX_IDS_PER_OPERATION',
            max: 500,
            requested: 501,
          },
        },
      ],
    });
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ batchUsers: 0, getUser: 0 }));
  });

  it('refuses more ids than the field cap (USERS_MAX_IDS) with BAD_USER_INPUT and calls nothing upstream', async () => {
    const small = await startTestGateway({ maxUserIds: 10 });
    try {
      const ids = Array.from({ length: 11 }, (_, i) => `id-${i}`);
      const res = await small.post('query($ids: [ID!]!) { users(ids: $ids) { id } }', { ids });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', maxIds: 10 });
      expect(res.errors?.[0]?.message).toBe('users(ids:) accepts at most 10 ids, got 11');
      expect((await small.emulator.stats()).calls).toEqual(
        expect.objectContaining({ batchUsers: 0, getUser: 0 }),
      );
    } finally {
      await small.close();
    }
  });

  it('an empty users list costs nothing', async () => {
    expect(await clientOf(gw).getUsers([])).toEqual({ users: [] });
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(0);
  });
});

function iso(value: unknown): string | null {
  return typeof value === 'string' ? new Date(value).toISOString() : null;
}

function latest(values: string[]): string | null {
  const sorted = [...values].sort((a, b) => Date.parse(b) - Date.parse(a));
  return sorted[0] ? iso(sorted[0]) : null;
}
