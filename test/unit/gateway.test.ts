import { GatewayOrgError } from '../../src/auth/gateway-org.js';
import { ANONYMOUS, ScopeError, type Caller } from '../../src/auth/caller.js';
import { createUserCache } from '../../src/cache/user-cache.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { loadConfig } from '../../src/config.js';
import { ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { createGateway, createUserApiStack } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import type { UserApi } from '../../src/upstream/user-api.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { fetchOf, IN_PROCESS_ORIGIN } from '../support/gateway.js';
import { emulatorJwtEnv } from '../support/auth.js';
import { postJson } from '../support/http.js';
import { fakeUser } from '../support/users.js';

// createGateway in-process: the default mode as `npm start` runs it (no settings at all), the jwt
// mode's start-time org check, and the one place that stacks a request's UserApi.
const silent = createLogger({ level: 'silent' });
const ids = exampleUserIds();

const GRAPHQL = `${IN_PROCESS_ORIGIN}/graphql`;

describe('createGateway', () => {
  it('default mode: the embedded emulator as upstream, served through `fetch`, all of it closed by `close`', async () => {
    const gateway = await createGateway(loadConfig({ EMULATOR_PORT: '0' }), { logger: silent });
    const emulatorUrl = gateway.emulator?.url;
    try {
      expect(emulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(gateway.resources.map((r) => r.name)).toEqual(['cache', 'emulator']);
      const response = await postJson(
        GRAPHQL,
        { query: `{ user(id: "${ids.userId}") { id orgId } }` },
        {},
        fetchOf(gateway),
      );
      expect(await response.json()).toEqual({ data: { user: { id: ids.userId, orgId: ORG_1_ID } } });
    } finally {
      await gateway.close();
    }
    await expect(fetch(`${emulatorUrl}/__emulator/stats`)).rejects.toThrow();
  });

  describe('AUTH_MODE=jwt', () => {
    let emulator: TestEmulator;
    beforeAll(async () => {
      emulator = await startTestEmulator();
    });
    afterAll(() => emulator.close());

    const jwtConfig = (extra: Record<string, string>) => loadConfig(emulatorJwtEnv(emulator.url, extra));

    it('refuses to build a gateway whose AUTH_ORG_ID whoami contradicts', async () => {
      await expect(
        createGateway(jwtConfig({ AUTH_ORG_ID: ORG_2_ID }), { logger: silent }),
      ).rejects.toBeInstanceOf(GatewayOrgError);
    });

    it('binds callers to the org it learnt at start', async () => {
      const gateway = await createGateway(jwtConfig({}), { logger: silent });
      try {
        const token = await emulator.token('client-demo-org2');
        const response = await postJson(
          GRAPHQL,
          { query: '{ me { user { id } } }' },
          { authorization: `Bearer ${token}` },
          fetchOf(gateway),
        );
        expect(response.status).toBe(403);
      } finally {
        await gateway.close();
      }
    });
  });
});

describe('createUserApiStack: client → cache → scope check', () => {
  const user = (id: string, orgId: string) => fakeUser(id, orgId, id);
  /** A User API of one org whose users are every id asked for; counts its getUsers calls. */
  const fakeClient = (orgId: string) => {
    const calls: string[][] = [];
    const api: UserApi = {
      getUser: async (id) => user(id, orgId),
      getUsers: async (asked) => {
        calls.push([...asked]);
        return asked.map((id) => user(id, orgId));
      },
      searchUsers: async () => ({ users: [], totalHits: 0 }),
      updateUser: async (id) => user(id, orgId),
      whoami: async () => ({ user: user('owner', orgId), org: { id: orgId, additionalScopes: [] } }),
    };
    return { api, calls };
  };
  const newCache = () => createUserCache({ store: createMemoryStore({ ttlMs: 60_000, maxEntries: 100 }) });
  const forward = (orgId: string, scopes: string[]): Caller => ({
    kind: 'forward',
    subject: 's',
    orgId,
    scopes,
  });

  it('serves the gateway’s callers from one cache over its own client', async () => {
    const service = fakeClient('org-a');
    const cache = newCache();
    const apiFor = createUserApiStack({ service: service.api, cache, serviceOrgId: 'org-a' });
    expect(await apiFor({ caller: ANONYMOUS }).getUsers(['u1'])).toEqual([user('u1', 'org-a')]);
    expect(await apiFor({ caller: ANONYMOUS }).getUsers(['u1'])).toEqual([user('u1', 'org-a')]);
    expect(service.calls).toEqual([['u1']]);
    expect(await cache.store.getMany('org-a', ['u1'])).toEqual([user('u1', 'org-a')]);
  });

  it('keys a forward caller’s client by the org of its token, and checks scopes before the cache', async () => {
    const service = fakeClient('org-a');
    const cache = newCache();
    await cache.store.setMany('org-b', [user('u1', 'org-b')]);
    const apiFor = createUserApiStack({ service: service.api, cache, serviceOrgId: 'org-a' });

    const reader = fakeClient('org-b');
    expect(
      await apiFor({ caller: forward('org-b', ['users:read']), client: reader.api }).getUsers(['u1']),
    ).toEqual([user('u1', 'org-b')]);
    expect(reader.calls).toEqual([]);

    const profileOnly = fakeClient('org-b');
    await expect(
      apiFor({ caller: forward('org-b', ['profile:read']), client: profileOnly.api }).getUsers(['u1']),
    ).rejects.toBeInstanceOf(ScopeError);
    expect([service.calls, profileOnly.calls]).toEqual([[], []]);
  });

  it('without a cache, hands the client straight to the scope check', async () => {
    const service = fakeClient('org-a');
    const apiFor = createUserApiStack({ service: service.api });
    await apiFor({ caller: ANONYMOUS }).getUsers(['u1']);
    await apiFor({ caller: ANONYMOUS }).getUsers(['u1']);
    expect(service.calls).toEqual([['u1'], ['u1']]);
  });
});
