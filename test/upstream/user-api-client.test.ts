import { DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { presentUser } from '../../src/emulator/model.js';
import { createSeedData } from '../../src/emulator/seed.js';
import { createUpstream } from '../../src/upstream/create-upstream.js';
import type { Upstream } from '../../src/upstream/create-upstream.js';
import {
  UpstreamBadInputError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamUnauthenticatedError,
} from '../../src/upstream/errors.js';
import { UpstreamHttp } from '../../src/upstream/http.js';
import { userPayload } from '../../src/upstream/payloads.js';
import { TokenManager } from '../../src/upstream/token-manager.js';
import type { User, UserRole } from '../../src/upstream/types.js';
import { UserApiClient } from '../../src/upstream/user-api-client.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';
import { LeakGuard, UPSTREAM_BODY_MARKERS } from '../support/leak-guard.js';

const seed = createSeedData();
const org1 = seed.users.filter((u) => u['org-id'] === ORG_1_ID);
const org2 = seed.users.filter((u) => u['org-id'] === ORG_2_ID);
const seededUser = (index: number) => {
  const user = org1[index];
  if (!user) throw new Error(`seed has no org 1 user #${index}`);
  return user;
};

const guard = new LeakGuard();
let emulator: TestEmulator;
const upstreams: Upstream[] = [];
let admin: Upstream;
let readonly: Upstream;

function connect(clientId: string, clientSecret: string): Upstream {
  const upstream = createUpstream({ baseUrl: emulator.url, clientId, clientSecret, timeoutMs: 5_000 });
  upstreams.push(upstream);
  // Records every token the client uses, so the leak check knows what to look for.
  const tokens = upstream.tokenManager;
  const getToken = tokens.getToken.bind(tokens);
  tokens.getToken = async (options) => guard.secret(await getToken(options));
  return upstream;
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  guard.secret(new URL(emulator.url).host);
  admin = connect('client-demo-admin', 'demo-admin-secret');
  readonly = connect('client-demo-readonly', 'demo-readonly-secret');
});
afterAll(async () => {
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await emulator.close();
});
beforeEach(async () => {
  await emulator.clearFaults();
  await emulator.resetStats();
});

describe('getUser', () => {
  it('returns the user, mapped to the domain', async () => {
    const wire = seededUser(7);
    const user = await admin.api.getUser(wire['user-id']);
    expect(user).toStrictEqual(userPayload.parse(presentUser(wire)));
    expect(user).toMatchObject({
      id: wire['user-id'],
      orgId: ORG_1_ID,
      role: wire.role,
      enabled: wire['enabled?'],
    });
  });

  it('percent-encodes ids of both formats', async () => {
    expect((await admin.api.getUser(DEMO_OWNER_IDS.org1Admin)).id).toBe(DEMO_OWNER_IDS.org1Admin);
    expect((await admin.api.getUser(DEMO_OWNER_IDS.org1Reader)).id).toBe(DEMO_OWNER_IDS.org1Reader);
    // Slashes, "?" and "#" stay inside the one path segment: a 404 for the user, not a wrong route.
    const error = await guard.failure(admin.api.getUser('a/b?c=d#e'));
    expect(error).toBeInstanceOf(UpstreamNotFoundError);
  });

  it('answers NotFound for unknown users and for users of another org', async () => {
    const unknown = await guard.failure(admin.api.getUser('idb-amp:00000000-0000-4000-8000-00000000dead'));
    expect(unknown).toBeInstanceOf(UpstreamNotFoundError);
    expect((unknown as UpstreamNotFoundError).route).toBe('getUser');
    const foreign = org2[3]?.['user-id'] ?? '';
    expect(await guard.failure(admin.api.getUser(foreign))).toBeInstanceOf(UpstreamNotFoundError);
  });

  it('never exposes the scim access token', async () => {
    const page = await admin.api.searchUsers({ limit: 1000 });
    expect(page.users).toHaveLength(1000);
    const withToken = org1.filter((u) => u.scim?.['access-token']);
    expect(withToken.length).toBeGreaterThan(0);
    const text = JSON.stringify(page);
    expect(text).not.toContain('access-token');
    expect(text).not.toContain('scim');
    for (const user of withToken) expect(text).not.toContain(user.scim?.['access-token']);
  });
});

describe('getUsers', () => {
  it('250 ids take exactly 3 batch calls of 100, 100 and 50, answered in input order', async () => {
    const ids = org1.slice(0, 250).map((u) => u['user-id']);
    const asked = [...ids].reverse();
    const users = await admin.api.getUsers(asked);
    expect(users.map((u) => u?.id)).toEqual(asked);
    const stats = await emulator.stats();
    expect(stats.calls.batchUsers).toBe(3);
    expect([...stats.batchSizes].sort((a, b) => a - b)).toEqual([50, 100, 100]);
  });

  it('sends each id once, repeats duplicates in the answer, null where missing', async () => {
    const a = seededUser(10)['user-id'];
    const b = seededUser(20)['user-id'];
    const foreign = org2[1]?.['user-id'] ?? '';
    const unknown = 'idb-amp:00000000-0000-4000-8000-000000000bad';
    const users = await admin.api.getUsers([b, unknown, a, foreign, b, a]);
    expect(users.map((u) => u?.id ?? null)).toEqual([b, null, a, null, b, a]);
    const stats = await emulator.stats();
    expect(stats.batchSizes).toEqual([4]);
  });

  it('splits long ids by the bytes of the query too: 100 ids of 256 characters in 5 calls, none refused', async () => {
    // Before, 100 such ids went out in one request line of ~26 KB, which the upstream refuses (431).
    const ids = Array.from({ length: 100 }, (_, i) => `idb-amp:${String(i).padStart(248, '0')}`);
    const users = await admin.api.getUsers(ids);
    expect(users).toEqual(ids.map(() => null));
    const stats = await emulator.stats();
    expect(stats.calls.batchUsers).toBe(5);
    expect(stats.batchSizes).toEqual([22, 22, 22, 22, 12]);
  });

  it('makes no call for no ids', async () => {
    expect(await admin.api.getUsers([])).toEqual([]);
    expect((await emulator.stats()).calls.batchUsers).toBe(0);
  });
});

describe('searchUsers', () => {
  it('filters by role, enabled, email, idp and query', async () => {
    const admins = await admin.api.searchUsers({ filter: { role: 'admin' }, limit: 1000 });
    expect(admins.users.length).toBeGreaterThan(0);
    expect(admins.users.every((u) => u.role === 'admin')).toBe(true);
    expect(admins.totalHits).toBe(org1.filter((u) => u.role === 'admin').length);

    const roles: UserRole[] = ['sat', 'bare'];
    const some = await admin.api.searchUsers({ filter: { role: roles }, limit: 1000 });
    expect(some.users.every((u) => roles.includes(u.role))).toBe(true);
    expect(some.totalHits).toBe(org1.filter((u) => roles.includes(u.role)).length);

    const disabled = await admin.api.searchUsers({ filter: { enabled: false }, limit: 1000 });
    expect(disabled.totalHits).toBe(org1.filter((u) => !u['enabled?']).length);
    expect(disabled.users.every((u) => !u.enabled)).toBe(true);

    const target = org1.find((u) => u['user-email']);
    const byEmail = await admin.api.searchUsers({ filter: { email: target?.['user-email']?.toUpperCase() } });
    expect(byEmail.users.map((u) => u.id)).toEqual([target?.['user-id']]);

    const okta = await admin.api.searchUsers({ filter: { idp: 'okta', enabled: true }, limit: 1000 });
    expect(okta.users.every((u) => u.enabled && u.idpMappings.some((m) => m.idp === 'okta'))).toBe(true);

    const query = await admin.api.searchUsers({ filter: { query: 'ADA' }, limit: 1000 });
    expect(query.users.length).toBeGreaterThan(0);
    expect(
      query.users.every((u) => [u.email, u.name, u.nick].some((f) => f?.toLowerCase().includes('ada'))),
    ).toBe(true);
  });

  it('maps sort fields and orders', async () => {
    const byEmail = await admin.api.searchUsers({ sortBy: 'email', sortOrder: 'asc', limit: 50 });
    const emails = byEmail.users.map((u) => (u.email ?? '').toLowerCase());
    expect(emails).toEqual([...emails].sort());

    const byName = await admin.api.searchUsers({ sortBy: 'name', sortOrder: 'desc', limit: 50 });
    const names = byName.users.map((u) => (u.name ?? '').toLowerCase());
    expect(names).toEqual([...names].sort().reverse());

    const byLogin = await admin.api.searchUsers({ sortBy: 'lastLoggedAt', sortOrder: 'desc', limit: 50 });
    const latest = byLogin.users.map((u) => Math.max(...u.lastLoggedAt.map((t) => Date.parse(t))));
    expect(latest).toEqual([...latest].sort((x, y) => y - x));

    const byRole = await admin.api.searchUsers({ sortBy: 'role', limit: 1000 });
    const roles = byRole.users.map((u) => u.role);
    expect(roles).toEqual([...roles].sort());

    const byCreation = await admin.api.searchUsers({ sortBy: 'createdAt', limit: 50 });
    const created = byCreation.users.map((u) => Date.parse(u.createdAt));
    expect(created).toEqual([...created].sort((x, y) => x - y));
  });

  it('pages with searchAfter and with offset', async () => {
    const whole = await admin.api.searchUsers({ sortBy: 'email', limit: 15 });
    const first = await admin.api.searchUsers({ sortBy: 'email', limit: 5 });
    expect(first.totalHits).toBe(org1.length);
    expect(first.next).toEqual({ limit: 5, offset: 5, searchAfter: first.sort });
    const second = await admin.api.searchUsers({
      sortBy: 'email',
      limit: 5,
      searchAfter: first.next?.searchAfter,
    });
    const third = await admin.api.searchUsers({ sortBy: 'email', limit: 5, offset: 10 });
    expect([...first.users, ...second.users, ...third.users].map((u) => u.id)).toEqual(
      whole.users.map((u) => u.id),
    );

    // A date sort round-trips its numeric cursor; a never-logged-in cursor travels as null.
    const byLogin = await admin.api.searchUsers({ sortBy: 'lastLoggedAt', limit: 3 });
    const next = await admin.api.searchUsers({
      sortBy: 'lastLoggedAt',
      limit: 3,
      searchAfter: byLogin.next?.searchAfter,
    });
    const both = await admin.api.searchUsers({ sortBy: 'lastLoggedAt', limit: 6 });
    expect([...byLogin.users, ...next.users].map((u) => u.id)).toEqual(both.users.map((u) => u.id));
  });

  it('has no next on the last page', async () => {
    const last = await admin.api.searchUsers({ sortBy: 'email', offset: org1.length - 2, limit: 5 });
    expect(last.users).toHaveLength(2);
    expect(last.next).toBeUndefined();
  });

  it('reports a bad parameter as BadInput', async () => {
    const error = await guard.failure(admin.api.searchUsers({ limit: 5000 }));
    expect(error).toBeInstanceOf(UpstreamBadInputError);
    expect((error as UpstreamBadInputError).reasons).toEqual({ limit: 'invalid-value' });
  });
});

describe('updateUser', () => {
  it('changes a user and returns it', async () => {
    const target = seededUser(30)['user-id'];
    const updated = await admin.api.updateUser(target, { name: 'Grace Hopper', nick: 'amazing' });
    expect(updated).toMatchObject({ id: target, name: 'Grace Hopper', nick: 'amazing' });
    expect(updated.updatedAt).toBeDefined();
    expect(await admin.api.getUser(target)).toStrictEqual(updated);
    const stats = await emulator.stats();
    expect(stats.calls.changeUser).toBe(1);
  });

  it('reports 400 reasons as BadInput', async () => {
    const self = await guard.failure(admin.api.updateUser(DEMO_OWNER_IDS.org1Admin, { enabled: false }));
    expect(self).toBeInstanceOf(UpstreamBadInputError);
    expect((self as UpstreamBadInputError).reasons).toEqual({ 'user-id': 'invalid-value' });

    const target = seededUser(31)['user-id'];
    const badRole = await guard.failure(
      admin.api.updateUser(target, { role: 'master' as unknown as 'admin', name: '' }),
    );
    expect(badRole).toBeInstanceOf(UpstreamBadInputError);
    expect((badRole as UpstreamBadInputError).reasons).toMatchObject({ role: 'invalid-value' });

    const empty = await guard.failure(admin.api.updateUser(target, {}));
    expect(empty).toBeInstanceOf(UpstreamBadInputError);
  });

  it('reports a read-only client as Forbidden with the missing scopes', async () => {
    const error = await guard.failure(readonly.api.updateUser(seededUser(32)['user-id'], { nick: 'x' }));
    expect(error).toBeInstanceOf(UpstreamForbiddenError);
    expect(error).toMatchObject({ route: 'changeUser', missingScopes: ['users'], requiredScopes: ['users'] });
    expect((await emulator.stats()).calls.changeUser).toBe(1);
  });

  it('answers NotFound for a user of another org', async () => {
    const error = await guard.failure(admin.api.updateUser(org2[2]?.['user-id'] ?? '', { nick: 'x' }));
    expect(error).toBeInstanceOf(UpstreamNotFoundError);
  });
});

describe('whoami', () => {
  it('returns the owner of the API client and its org', async () => {
    const me = await admin.api.whoami();
    expect(me.user.id).toBe(DEMO_OWNER_IDS.org1Admin);
    expect(me.org).toMatchObject({ id: ORG_1_ID, name: 'Acme Corp (demo)', enabled: true });
    const other = connect('client-demo-org2', 'demo-org2-secret');
    const them = await other.api.whoami();
    expect(them.user.id).toBe(DEMO_OWNER_IDS.org2Admin);
    expect(them.org.id).toBe(ORG_2_ID);
    expect(them.org.settings).toEqual({ 'session-timeout-minutes': 30, 'mfa-required?': false });
  });
});

describe('401 from an API call', () => {
  it('a 401 storm: one token refresh, each call replayed once, all succeed', async () => {
    const fresh = connect('client-demo-admin', 'demo-admin-secret');
    const ids = org1.slice(100, 110).map((u) => u['user-id']);
    await fresh.api.getUser(ids[0] ?? ''); // a warm token, which the storm then rejects
    await emulator.resetStats();
    await emulator.injectFault({ route: '*', status: 401, times: ids.length });

    const users = await Promise.all(ids.map((id) => fresh.api.getUser(id)));
    expect(users.map((u) => u.id)).toEqual(ids);
    const stats = await emulator.stats();
    expect(stats.calls.token).toBe(1);
    expect(stats.calls.getUser).toBe(ids.length * 2);
  });

  it('a second 401 is final: UpstreamUnauthenticatedError, no loop', async () => {
    const fresh = connect('client-demo-admin', 'demo-admin-secret');
    await fresh.tokenManager.getToken();
    await emulator.resetStats();
    await emulator.injectFault({ route: 'getUser', status: 401 });

    const errors = await Promise.all(
      Array.from({ length: 5 }, () => guard.failure(fresh.api.getUser(DEMO_OWNER_IDS.org1Admin))),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamUnauthenticatedError);
      expect((error as UpstreamUnauthenticatedError).route).toBe('getUser');
    }
    const stats = await emulator.stats();
    expect(stats.calls.getUser).toBe(10);
    expect(stats.calls.token).toBe(1);

    // Once the upstream accepts tokens again, calls go through.
    await emulator.clearFaults();
    expect((await fresh.api.getUser(DEMO_OWNER_IDS.org1Admin)).id).toBe(DEMO_OWNER_IDS.org1Admin);
  });

  it('a write is replayed once after a 401 too', async () => {
    const fresh = connect('client-demo-admin', 'demo-admin-secret');
    await fresh.tokenManager.getToken();
    await emulator.resetStats();
    await emulator.injectFault({ route: 'changeUser', status: 401, times: 1 });
    const target = seededUser(33)['user-id'];
    expect((await fresh.api.updateUser(target, { nick: 'replayed' })).nick).toBe('replayed');
    const stats = await emulator.stats();
    expect(stats.calls.changeUser).toBe(2);
    expect(stats.calls.token).toBe(1);
  });
});

describe('plumbing', () => {
  it('works with a UserApiClient and TokenManager wired by hand', async () => {
    const http = new UpstreamHttp({ baseUrl: emulator.url, connections: 2 });
    try {
      const tokenManager = new TokenManager({
        http,
        clientId: 'client-demo-readonly',
        clientSecret: 'demo-readonly-secret',
      });
      const api = new UserApiClient({ http, tokenManager, timeoutMs: 5_000 });
      guard.secret(await tokenManager.getToken());
      // Many error answers in a row on two sockets: each body is consumed, so sockets are reused.
      for (let i = 0; i < 30; i++) {
        expect(await guard.failure(api.getUser(`nobody-${i}`))).toBeInstanceOf(UpstreamNotFoundError);
      }
      const user: User = await api.getUser(DEMO_OWNER_IDS.org1Reader);
      expect(user.role).toBe('user');
    } finally {
      await http.close();
    }
  });
});

describe('secrecy', () => {
  it('no error thrown in this file carries a secret, a token, a host or an upstream body', () => {
    expect(guard.errors.length).toBeGreaterThan(10);
    expect(guard.leaks(UPSTREAM_BODY_MARKERS)).toEqual([]);
  });
});
