// Issue 12: the gateway's own org, which jwt callers are bound to (deliverable 1), learnt from whoami
// within the operation deadline (finding 8: a fresh gateway's whoami ignored it, 6.1 s against 3 s).
import { cacheOrgKey, createGatewayOrg, GatewayOrgError } from '../../src/auth/gateway-org.js';
import { ORG_1_ID, ORG_2_ID, DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { createUpstream, type Upstream } from '../../src/upstream/create-upstream.js';
import { UpstreamTimeoutError } from '../../src/upstream/errors.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { captureLogs } from '../support/logs.js';

let emulator: TestEmulator;
const upstreams: Upstream[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  // An API client of org 1 without the profile scope: whoami is forbidden to it.
  await emulator.addClient({
    clientId: 'client-no-profile',
    clientSecret: 'no-profile-secret',
    ownerUserId: DEMO_OWNER_IDS.org1Admin,
    scopes: ['users'],
  });
});
afterEach(() => emulator.clearFaults());
afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.destroy()));
  await emulator.close();
});

/** The service credentials' User API with a per-call timeout far beyond the operation deadline. */
function serviceApi(clientId = 'client-demo-admin', clientSecret = 'demo-admin-secret') {
  const upstream = createUpstream({
    baseUrl: emulator.url,
    clientId,
    clientSecret,
    timeoutMs: 60_000,
    resilience: false,
  });
  upstreams.push(upstream);
  return upstream.api;
}

async function whoamiCalls() {
  return (await emulator.stats()).calls.whoami;
}

it('gives up on a hung whoami at the operation deadline with the upstream timeout error (finding 8)', async () => {
  await emulator.injectFault({ route: 'whoami', mode: 'hang' });
  const logs = captureLogs();
  const org = createGatewayOrg({ api: serviceApi(), deadlineMs: 300, logger: logs.logger });
  // Without the deadline this waits for the 60 s per-call timeout, past jest's 30 s.
  await expect(org.id()).rejects.toBeInstanceOf(UpstreamTimeoutError);
});

it('learns the org once: concurrent callers share one whoami, later ones none', async () => {
  const org = createGatewayOrg({ api: serviceApi(), deadlineMs: 5_000, logger: captureLogs().logger });
  await emulator.resetStats();
  expect(await Promise.all([org.id(), org.id(), org.id()])).toEqual([ORG_1_ID, ORG_1_ID, ORG_1_ID]);
  expect(await org.id()).toBe(ORG_1_ID);
  expect(await whoamiCalls()).toBe(1);
});

it('does not remember a failure: the next call asks again', async () => {
  const org = createGatewayOrg({ api: serviceApi(), deadlineMs: 5_000, logger: captureLogs().logger });
  await emulator.resetStats();
  await emulator.injectFault({ route: 'whoami', status: 503, times: 1 });
  await expect(org.id()).rejects.toMatchObject({ kind: 'unavailable' });
  expect(await org.id()).toBe(ORG_1_ID);
  expect(await whoamiCalls()).toBe(2);
});

it('accepts AUTH_ORG_ID when whoami agrees', async () => {
  const org = createGatewayOrg({
    api: serviceApi(),
    pinned: ORG_1_ID,
    deadlineMs: 5_000,
    logger: captureLogs().logger,
  });
  expect(await org.id()).toBe(ORG_1_ID);
});

it('refuses an AUTH_ORG_ID that whoami contradicts, naming the setting', async () => {
  const org = createGatewayOrg({
    api: serviceApi(),
    pinned: ORG_2_ID,
    deadlineMs: 5_000,
    logger: captureLogs().logger,
  });
  const error = await org.id().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayOrgError);
  expect(error).toMatchObject({
    reason: 'mismatch',
    message: `AUTH_ORG_ID=${ORG_2_ID} does not match the organisation of the gateway’s XDR credentials (${ORG_1_ID}): fix AUTH_ORG_ID or XDR_CLIENT_ID`,
  });
});

it('uses AUTH_ORG_ID unverified, with a warning, when whoami is forbidden to the client', async () => {
  const logs = captureLogs();
  const org = createGatewayOrg({
    api: serviceApi('client-no-profile', 'no-profile-secret'),
    pinned: ORG_1_ID,
    deadlineMs: 5_000,
    logger: logs.logger,
  });
  expect(await org.id()).toBe(ORG_1_ID);
  expect(logs.lines()).toEqual([
    expect.objectContaining({ level: 40, event: 'gateway_org_unverified', orgId: ORG_1_ID }),
  ]);
});

it('without AUTH_ORG_ID and with whoami forbidden, says to set AUTH_ORG_ID; the cache keys by client id', async () => {
  const org = createGatewayOrg({
    api: serviceApi('client-no-profile', 'no-profile-secret'),
    deadlineMs: 5_000,
    logger: captureLogs().logger,
  });
  const error = await org.id().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayOrgError);
  expect((error as GatewayOrgError).reason).toBe('no_profile_scope');
  expect((error as Error).message).toContain('set AUTH_ORG_ID');
  expect(await cacheOrgKey(org, 'client-no-profile')()).toBe('client:client-no-profile');
});

it('the cache key is the org when it is known, and an upstream failure is not papered over', async () => {
  const org = createGatewayOrg({ api: serviceApi(), deadlineMs: 5_000, logger: captureLogs().logger });
  await emulator.injectFault({ route: 'whoami', status: 503, times: 1 });
  await expect(cacheOrgKey(org, 'client-demo-admin')()).rejects.toMatchObject({ kind: 'unavailable' });
  expect(await cacheOrgKey(org, 'client-demo-admin')()).toBe(ORG_1_ID);
});
