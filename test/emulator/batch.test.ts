import { ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { presentUser } from '../../src/emulator/model.js';
import { createSeedData } from '../../src/emulator/seed.js';
import { TRACE_ID, call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';

const seed = createSeedData();
const org1 = seed.users.filter((u) => u['org-id'] === ORG_1_ID);
const org2 = seed.users.filter((u) => u['org-id'] === ORG_2_ID);

let emulator: TestEmulator;
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  token = await emulator.token('client-demo-readonly');
});
afterAll(() => emulator.close());

const batch = (ids: string[], bearer = token) =>
  call(
    emulator.url,
    'GET',
    `/iroh/user-mgmt/batch/users?${new URLSearchParams(ids.map((id) => ['id', id]))}`,
    {
      token: bearer,
    },
  );

describe('GET /iroh/user-mgmt/batch/users', () => {
  it('answers in storage order, whatever the request order', async () => {
    const picked = [org1[500], org1[3], org1[999], org1[42]].map((u) => u?.['user-id'] ?? '');
    const answer = await batch(picked);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([org1[3], org1[42], org1[500], org1[999]].map((u) => u && presentUser(u)));
  });

  it('omits unknown and other-org ids and returns duplicates once', async () => {
    const a = org1[10];
    const b = org1[20];
    const foreign = org2[5];
    if (!a || !b || !foreign) throw new Error('seed too small');
    const answer = await batch([
      b['user-id'],
      'idb-amp:00000000-0000-4000-8000-000000000bad',
      a['user-id'],
      foreign['user-id'],
      b['user-id'],
      b['user-id'],
      '',
    ]);
    expect(answer.body).toEqual([presentUser(a), presentUser(b)]);
  });

  it('answers an empty array when nothing matches', async () => {
    expect((await batch(['nobody'])).body).toEqual([]);
  });

  it('accepts 100 ids and refuses 101', async () => {
    const hundred = org1.slice(0, 100);
    const ok = await batch(hundred.map((u) => u['user-id']));
    expect(ok.body).toEqual(hundred.map(presentUser));
    const tooMany = await batch([...hundred.map((u) => u['user-id']), 'one-more']);
    expect({ status: tooMany.status, body: tooMany.body }).toEqual({
      status: 400,
      body: { errors: { id: 'invalid-value' } },
    });
    // The cap counts ids as sent, duplicates included.
    const duplicates = await batch(Array.from({ length: 101 }, () => hundred[0]?.['user-id'] ?? ''));
    expect(duplicates.status).toBe(400);
  });

  it('refuses a call without ids', async () => {
    const answer = await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users', { token });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: { errors: { id: 'missing-required-key' } },
    });
  });

  it('keeps orgs apart: org 2 sees only its own users', async () => {
    const org2Token = await emulator.token('client-demo-org2');
    const mixed = [org1[0], org2[0], org1[1], org2[1]].map((u) => u?.['user-id'] ?? '');
    expect((await batch(mixed, org2Token)).body).toEqual([org2[0], org2[1]].map((u) => u && presentUser(u)));
    expect((await batch(mixed)).body).toEqual([org1[0], org1[1]].map((u) => u && presentUser(u)));
  });

  it('needs a token', async () => {
    const answer = await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users?id=x');
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 401,
      body: {
        error: 'invalid_request',
        error_description: 'an Authorization: Bearer <access token> header is required',
        trace_id: TRACE_ID,
      },
    });
  });
});
