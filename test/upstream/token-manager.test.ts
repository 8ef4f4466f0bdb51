import { inspect } from 'node:util';
import {
  UpstreamMalformedError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../../src/upstream/errors.js';
import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { UpstreamHttp } from '../../src/upstream/http.js';
import { TokenManager } from '../../src/upstream/token-manager.js';
import type { TokenManagerOptions } from '../../src/upstream/token-manager.js';
import { UserApiClient } from '../../src/upstream/user-api-client.js';
import { call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';
import { LeakGuard, UPSTREAM_BODY_MARKERS } from '../support/leak-guard.js';
import { REFUSED_PORT } from '../support/net.js';

const guard = new LeakGuard();
let emulator: TestEmulator;
const pools: UpstreamHttp[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  guard.secret(new URL(emulator.url).host);
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await emulator.close();
});
beforeEach(async () => {
  await emulator.clearFaults();
  await emulator.resetStats();
});

function pool(baseUrl = emulator.url): UpstreamHttp {
  const http = new UpstreamHttp({ baseUrl });
  pools.push(http);
  return http;
}

function manager(options: Partial<TokenManagerOptions> = {}): TokenManager {
  return new TokenManager({
    http: pool(),
    clientId: 'client-demo-admin',
    clientSecret: 'demo-admin-secret',
    timeoutMs: 5_000,
    ...options,
  });
}

/** A clock tests move by hand. */
function fakeClock(start = Date.parse('2024-01-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const tokenCalls = async () => (await emulator.stats()).calls.token;

/** Lets a background refresh finish. */
async function settle(manager: TokenManager) {
  for (let i = 0; i < 50 && (await tokenCalls()) < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await manager.getToken();
}

describe('TokenManager: caching and single flight', () => {
  it('200 concurrent API calls on a cold start make exactly one token request', async () => {
    const http = pool();
    const api = new UserApiClient({ http, tokenManager: manager({ http }), timeoutMs: 10_000 });
    const me = DEMO_OWNER_IDS.org1Admin;
    const users = await Promise.all(Array.from({ length: 200 }, () => api.getUser(me)));
    expect(users.every((user) => user.id === me)).toBe(true);
    const stats = await emulator.stats();
    expect(stats.calls.token).toBe(1);
    expect(stats.calls.getUser).toBe(200);
  });

  it('caches the token until expires_in minus the margin', async () => {
    const clock = fakeClock();
    const tokens = manager({ now: clock.now, refreshMarginSec: 60 });
    const first = guard.secret(await tokens.getToken());
    clock.advance(500_000);
    expect(await tokens.getToken()).toBe(first);
    expect(await tokenCalls()).toBe(1);
  });

  it('in the margin, serves the current token and refreshes once in the background', async () => {
    const clock = fakeClock();
    const tokens = manager({ now: clock.now, refreshMarginSec: 60 });
    const first = guard.secret(await tokens.getToken());
    clock.advance(560_000); // inside the last 60 s (+1 s slack) of a 600 s token
    const served = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()]);
    expect(served).toEqual([first, first, first]);
    await settle(tokens);
    expect(await tokenCalls()).toBe(2);
  });

  it('replaces an expired token before using it (injected clock)', async () => {
    const clock = fakeClock();
    const tokens = manager({ now: clock.now });
    guard.secret(await tokens.getToken());
    clock.advance(601_000);
    guard.secret(await tokens.getToken());
    expect(await tokenCalls()).toBe(2);
  });

  it('replaces a token the upstream really expired before using it (short lifetime)', async () => {
    // The emulator's clock and the manager's move 2.1 s together: the old token is expired upstream.
    let now = Date.now();
    const clock = () => now;
    const shortLived = await startTestEmulator({ tokenLifetimeSec: 2, clock });
    const http = new UpstreamHttp({ baseUrl: shortLived.url });
    try {
      const tokens = new TokenManager({
        http,
        clientId: 'client-demo-admin',
        clientSecret: 'demo-admin-secret',
        now: clock,
      });
      const api = new UserApiClient({ http, tokenManager: tokens });
      const me = (await api.whoami()).user.id;
      const old = await tokens.getToken();
      now += 2_100;
      expect((await call(shortLived.url, 'GET', '/iroh/profile/whoami', { token: old })).status).toBe(401);
      await shortLived.resetStats();
      expect((await api.getUser(me)).id).toBe(me);
      const stats = await shortLived.stats();
      // A fresh token was fetched first, so the call went out once: no 401, no replay.
      expect(stats.calls.token).toBe(1);
      expect(stats.calls.getUser).toBe(1);
    } finally {
      await http.close();
      await shortLived.close();
    }
  });

  it('clamps the margin for very short lifetimes so the token is still cached', async () => {
    const shortLived = await startTestEmulator({ tokenLifetimeSec: 4 });
    const http = new UpstreamHttp({ baseUrl: shortLived.url });
    try {
      const clock = fakeClock();
      const tokens = new TokenManager({
        http,
        clientId: 'client-demo-admin',
        clientSecret: 'demo-admin-secret',
        refreshMarginSec: 60,
        now: clock.now,
      });
      const first = guard.secret(await tokens.getToken());
      clock.advance(1_000);
      expect(await tokens.getToken()).toBe(first);
      expect((await shortLived.stats()).calls.token).toBe(1);
    } finally {
      await http.close();
      await shortLived.close();
    }
  });

  it('invalidate drops the token only while it is the current one', async () => {
    const tokens = manager();
    const first = guard.secret(await tokens.getToken());
    tokens.invalidate('some-older-token');
    expect(await tokens.getToken()).toBe(first);
    expect(await tokenCalls()).toBe(1);
    tokens.invalidate(first);
    guard.secret(await tokens.getToken());
    expect(await tokenCalls()).toBe(2);
  });

  it('lets a waiting caller leave without failing the shared request', async () => {
    await emulator.injectFault({ route: 'token', delayMs: 300, times: 1 });
    const tokens = manager();
    const leaving = new AbortController();
    const left = guard.failure(tokens.getToken({ signal: leaving.signal }));
    const staying = tokens.getToken();
    leaving.abort();
    expect((await left).name).toBe('AbortError');
    expect(typeof guard.secret(await staying)).toBe('string');
    expect(await tokenCalls()).toBe(1);
  });
});

describe('TokenManager: failures', () => {
  it('rejects bad credentials with a clear typed error, one request for all callers', async () => {
    const tokens = manager({ clientSecret: 'wrong-secret-value' });
    const errors = await Promise.all(Array.from({ length: 20 }, () => guard.failure(tokens.getToken())));
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamUnauthenticatedError);
      expect(error.message).toContain('XDR_CLIENT_ID / XDR_CLIENT_SECRET');
      expect(error.message).toContain('invalid_client');
    }
    expect(await tokenCalls()).toBe(1);
  });

  it('token endpoint failing: concurrent callers share one request, the cooldown sends none', async () => {
    await emulator.injectFault({ route: 'token', status: 500 });
    const clock = fakeClock();
    const tokens = manager({ now: clock.now, failureCooldownMs: 1_000 });
    const errors = await Promise.all(Array.from({ length: 50 }, () => guard.failure(tokens.getToken())));
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect((error as UpstreamUnavailableError).status).toBe(500);
      expect((error as UpstreamUnavailableError).route).toBe('token');
    }
    expect(await tokenCalls()).toBe(1);

    // Within the cooldown: the same error at once, no request.
    clock.advance(500);
    expect(await guard.failure(tokens.getToken())).toBe(errors[0]);
    expect(await tokenCalls()).toBe(1);

    // After it, the next call tries again (not cached), and recovers once the endpoint does.
    await emulator.clearFaults();
    clock.advance(600);
    guard.secret(await tokens.getToken());
    expect(await tokenCalls()).toBe(2);
  });

  it('a closed port gives UpstreamUnavailableError, and no retry storm', async () => {
    const port = REFUSED_PORT;
    const http = pool(`http://127.0.0.1:${port}`);
    guard.secret(`127.0.0.1:${port}`);
    const clock = fakeClock();
    const tokens = manager({ http, now: clock.now });
    const errors = await Promise.all(Array.from({ length: 10 }, () => guard.failure(tokens.getToken())));
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).toBeInstanceOf(UpstreamUnavailableError);
    expect(errors[0]?.message).toContain('ECONNREFUSED');
    expect(await guard.failure(tokens.getToken())).toBe(errors[0]);
  });

  it('a hanging token endpoint times out', async () => {
    await emulator.injectFault({ route: 'token', mode: 'hang', times: 1 });
    const tokens = manager({ timeoutMs: 200 });
    const started = Date.now();
    expect(await guard.failure(tokens.getToken())).toBeInstanceOf(UpstreamTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a token response that is not JSON is malformed', async () => {
    await emulator.injectFault({ route: 'token', mode: 'html', times: 1 });
    expect(await guard.failure(manager().getToken())).toBeInstanceOf(UpstreamMalformedError);
  });

  it('an API client whose token request fails reports that typed error', async () => {
    await emulator.injectFault({ route: 'token', status: 503 });
    const http = pool();
    const api = new UserApiClient({ http, tokenManager: manager({ http }) });
    const error = await guard.failure(api.whoami());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(503);
    expect((await emulator.stats()).calls.whoami).toBe(0);
  });
});

describe('TokenManager: secrecy', () => {
  it('shows neither the secret nor the token when serialised or inspected', async () => {
    const tokens = manager();
    const token = guard.secret(await tokens.getToken());
    for (const shown of [
      JSON.stringify(tokens),
      inspect(tokens, { showHidden: true, depth: 5 }),
      String(tokens),
    ]) {
      expect(shown).not.toContain('demo-admin-secret');
      expect(shown).not.toContain(Buffer.from('client-demo-admin:demo-admin-secret').toString('base64'));
      expect(shown).not.toContain(token);
    }
  });

  it('no error thrown in this file carries a secret, a token, a host or an upstream body', () => {
    expect(guard.errors.length).toBeGreaterThan(0);
    expect(guard.leaks(UPSTREAM_BODY_MARKERS)).toEqual([]);
  });
});
