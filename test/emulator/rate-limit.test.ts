import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';

const WINDOW_MS = 1200;

let emulator: TestEmulator;
// The emulator's clock, moved by hand: the window passes without the test waiting for it.
let now = Date.now();

beforeAll(async () => {
  emulator = await startTestEmulator({ rateLimit: { quota: 5, windowMs: WINDOW_MS }, clock: () => now });
});
afterAll(() => emulator.close());

const tooMany = {
  status: 429,
  body: {
    error: 'too_many_requests',
    error_description: "the organisation's quota of 5 requests per window is used up",
  },
};

describe('per-org rate limit', () => {
  it('refuses the 6th call of an org in the window, with Retry-After, then recovers', async () => {
    const admin = await emulator.token('client-demo-admin');
    const readonly = await emulator.token('client-demo-readonly');
    // Every route and both clients of org 1 share the quota; failed calls (404, 403) spend it too.
    const spent = [
      await call(emulator.url, 'GET', '/iroh/profile/whoami', { token: admin }),
      await call(emulator.url, 'GET', '/iroh/user-mgmt/users/nobody', { token: readonly }),
      await call(emulator.url, 'GET', `/iroh/user-mgmt/batch/users?id=x`, { token: admin }),
      await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users?limit=1', { token: readonly, json: {} }),
      await call(emulator.url, 'POST', '/iroh/user-mgmt/users/nobody', {
        token: readonly,
        json: { role: 'user' },
      }),
    ];
    expect(spent.map((a) => a.status)).toEqual([200, 404, 200, 200, 403]);
    // Calls that never authenticate cannot be charged to an org.
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami')).status).toBe(401);

    const refused = await call(emulator.url, 'GET', '/iroh/profile/whoami', { token: admin });
    expect({ status: refused.status, body: refused.body }).toEqual(tooMany);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBe(Math.ceil(WINDOW_MS / 1000));
    expect(refused.headers.get('x-ratelimit-org-limit')).toBe('5');

    // The token endpoint is not rate limited, and org 2 has its own quota.
    const org2 = await emulator.token('client-demo-org2');
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token: org2 })).status).toBe(200);

    now += WINDOW_MS - 1;
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token: admin })).status).toBe(429);
    now += 1;
    const after = await call(
      emulator.url,
      'GET',
      `/iroh/user-mgmt/users/${encodeURIComponent(DEMO_OWNER_IDS.org1Admin)}`,
      {
        token: admin,
      },
    );
    expect(after.status).toBe(200);
  });

  it('is a rolling window: slots free up one by one as old calls age out', async () => {
    await emulator.resetRateLimit();
    const token = await emulator.token('client-demo-org2');
    const whoami = () => call(emulator.url, 'GET', '/iroh/profile/whoami', { token });
    await whoami();
    await whoami();
    now += WINDOW_MS / 2;
    for (let i = 0; i < 3; i++) expect((await whoami()).status).toBe(200);
    expect((await whoami()).status).toBe(429);
    // After the first two calls age out, exactly two slots are free again.
    now += WINDOW_MS / 2;
    expect((await whoami()).status).toBe(200);
    expect((await whoami()).status).toBe(200);
    expect((await whoami()).status).toBe(429);
  });

  it('can be reset through the test controls', async () => {
    await emulator.resetRateLimit();
    const token = await emulator.token('client-demo-admin');
    for (let i = 0; i < 5; i++) await call(emulator.url, 'GET', '/iroh/profile/whoami', { token });
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(429);
    await emulator.resetRateLimit();
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(200);
  });
});
