import { createAuthenticator } from '../../src/auth/authenticate.js';
import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { exampleUserIds } from '../../src/emulator/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { captureLogs, leaks } from '../support/logs.js';
import { emulatorJwtConfig, gatewayOrgOf } from '../support/auth.js';

// One audit event per updateUser attempt, whatever the outcome: time, request id, caller, target,
// the names of the fields the caller gave (never their values) and the outcome.
const ids = exampleUserIds();
const logs = captureLogs('info');
let gw: TestGateway;
let admin: string;
let reader: string;

beforeAll(async () => {
  gw = await startTestGateway({
    app: { logger: logs.logger },
    authenticate: ({ emulator, upstream }) =>
      createAuthenticator(emulatorJwtConfig(emulator.url), { gatewayOrgId: gatewayOrgOf(upstream) }),
  });
  admin = await gw.emulator.token('client-demo-admin');
  reader = await gw.emulator.token('client-demo-readonly');
});
afterAll(() => gw.close());

const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { __typename } }';
const audits = () => logs.lines().filter((line) => line['event'] === 'audit.update_user');
const ADMIN_CALLER = {
  kind: 'jwt',
  subject: DEMO_OWNER_IDS.org1Admin,
  clientId: 'client-demo-admin',
  orgId: '6f1c0a52-1e2b-4c3d-9a4e-000000000001',
};

it('logs one complete event per attempt, with field names only', async () => {
  const attempts: [string, string, Record<string, unknown>, string][] = [
    [admin, ids.updateUserId, { nick: 'secret-nick-value', name: 'Secret Name Value' }, 'req-success-1'],
    [admin, 'idb-amp:00000000-0000-0000-0000-00000000dead', { enabled: false }, 'req-not-found-1'],
    [admin, ids.updateUserId, { nick: null }, 'req-invalid-1'],
    [reader, ids.updateUserId, { role: 'ADMIN' }, 'req-forbidden-1'],
    [admin, ids.updateUserId, { nick: 'n' }, 'bad id with spaces and "quotes"'],
  ];
  const before = Date.now();
  const results = [];
  for (const [token, id, input, requestId] of attempts) {
    results.push(
      await gw.post(UPDATE, { id, input }, { authorization: `Bearer ${token}`, 'x-request-id': requestId }),
    );
  }
  expect(results.map((r) => (r.data?.['updateUser'] as { __typename: string }).__typename)).toEqual([
    'UpdateUserSuccess',
    'NotFoundError',
    'ValidationError',
    'ForbiddenError',
    'UpdateUserSuccess',
  ]);

  const events = audits();
  expect(events).toEqual([
    expect.objectContaining({
      requestId: 'req-success-1',
      caller: ADMIN_CALLER,
      targetId: ids.updateUserId,
      fields: ['name', 'nick'],
      outcome: 'success',
    }),
    expect.objectContaining({
      requestId: 'req-not-found-1',
      caller: ADMIN_CALLER,
      targetId: 'idb-amp:00000000-0000-0000-0000-00000000dead',
      fields: ['enabled'],
      outcome: 'not_found',
    }),
    expect.objectContaining({
      requestId: 'req-invalid-1',
      caller: ADMIN_CALLER,
      fields: ['nick'],
      outcome: 'invalid',
    }),
    expect.objectContaining({
      requestId: 'req-forbidden-1',
      caller: { ...ADMIN_CALLER, subject: DEMO_OWNER_IDS.org1Reader, clientId: 'client-demo-readonly' },
      fields: ['role'],
      outcome: 'forbidden',
    }),
    // An insane x-request-id is replaced by a fresh UUID rather than written to the log.
    expect.objectContaining({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), outcome: 'success' }),
  ]);
  for (const event of events) {
    expect(Object.keys(event).sort()).toEqual(
      ['caller', 'event', 'fields', 'level', 'msg', 'outcome', 'requestId', 'targetId', 'time'].sort(),
    );
    expect(new Date(event['time'] as number).getTime()).toBeGreaterThanOrEqual(before - 1000);
  }
  expect(leaks(logs.text(), ['secret-nick-value', 'Secret Name Value', admin, reader])).toEqual([]);
});
