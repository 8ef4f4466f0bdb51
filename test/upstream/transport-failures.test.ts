import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import {
  UpstreamMalformedError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../src/upstream/errors.js';
import { UpstreamHttp } from '../../src/upstream/http.js';
import { TokenManager } from '../../src/upstream/token-manager.js';
import { UserApiClient } from '../../src/upstream/user-api-client.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';
import { LeakGuard, UPSTREAM_BODY_MARKERS } from '../support/leak-guard.js';
import { REFUSED_PORT } from '../support/net.js';

const guard = new LeakGuard();
let emulator: TestEmulator;
let http: UpstreamHttp;
let tokens: TokenManager;
const ME = DEMO_OWNER_IDS.org1Admin;

/** A client with a short per-attempt deadline, sharing the file's pool and token. */
// 1 s: calls that must succeed missed a 300 ms deadline on a loaded 2-core machine; timeouts are tested at 200.
const client = (timeoutMs = 1_000) => new UserApiClient({ http, tokenManager: tokens, timeoutMs });

beforeAll(async () => {
  emulator = await startTestEmulator();
  guard.secret(new URL(emulator.url).host);
  http = new UpstreamHttp({ baseUrl: emulator.url, connections: 4 });
  tokens = new TokenManager({ http, clientId: 'client-demo-admin', clientSecret: 'demo-admin-secret' });
  guard.secret(await tokens.getToken());
});
afterAll(async () => {
  await http.close();
  await emulator.close();
});
beforeEach(async () => {
  await emulator.clearFaults();
  await emulator.resetStats();
});

describe('transport failures, one typed error each', () => {
  it('a hanging upstream times out (UpstreamTimeoutError)', async () => {
    await emulator.injectFault({ route: 'getUser', mode: 'hang', times: 1 });
    const started = Date.now();
    const error = await guard.failure(client(200).getUser(ME));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error.message).toBe('The User API did not answer getUser within 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The pool is fine afterwards.
    expect((await client().getUser(ME)).id).toBe(ME);
  });

  it('a slow upstream (delay beyond the deadline) times out too', async () => {
    await emulator.injectFault({ route: 'searchUsers', delayMs: 2_000, times: 1 });
    expect(await guard.failure(client(200).searchUsers({ limit: 1 }))).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('a reset connection is UpstreamUnavailableError', async () => {
    await emulator.injectFault({ route: 'getUser', mode: 'reset', times: 1 });
    const error = await guard.failure(client().getUser(ME));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBeUndefined();
  });

  it('a truncated JSON body is UpstreamMalformedError', async () => {
    await emulator.injectFault({ route: 'batchUsers', mode: 'malformed', times: 1 });
    const error = await guard.failure(client().getUsers([ME]));
    expect(error).toBeInstanceOf(UpstreamMalformedError);
    expect(error.message).toBe('The User API answered batchUsers with invalid JSON');
  });

  it('an HTML page with status 200 is UpstreamMalformedError', async () => {
    await emulator.injectFault({ route: 'whoami', mode: 'html', times: 1 });
    const error = await guard.failure(client().whoami());
    expect(error).toBeInstanceOf(UpstreamMalformedError);
    expect(error.message).toBe('The User API answered whoami with a non-JSON body');
  });

  it.each([500, 502, 503, 504])('status %i is UpstreamUnavailableError with that status', async (status) => {
    await emulator.injectFault({ route: 'getUser', status, times: 1 });
    const error = await guard.failure(client().getUser(ME));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(status);
    expect((await emulator.stats()).calls.getUser).toBe(1);
  });

  it('429 is UpstreamRateLimitedError with Retry-After', async () => {
    await emulator.injectFault({ route: 'searchUsers', status: 429, times: 1 });
    const error = await guard.failure(client().searchUsers({}));
    expect(error).toBeInstanceOf(UpstreamRateLimitedError);
    expect(error).toMatchObject({ route: 'searchUsers', retryAfterSec: 1 });
  });

  it('the real rate limit is UpstreamRateLimitedError too, and is never retried', async () => {
    const limited = await startTestEmulator({ rateLimit: { quota: 2, windowMs: 60_000 } });
    const pool = new UpstreamHttp({ baseUrl: limited.url });
    try {
      const api = new UserApiClient({
        http: pool,
        tokenManager: new TokenManager({
          http: pool,
          clientId: 'client-demo-admin',
          clientSecret: 'demo-admin-secret',
        }),
      });
      await api.getUser(ME);
      await api.getUser(ME);
      const error = await guard.failure(api.getUser(ME));
      expect(error).toBeInstanceOf(UpstreamRateLimitedError);
      expect((error as UpstreamRateLimitedError).retryAfterSec).toBeGreaterThan(0);
      expect((await limited.stats()).calls.getUser).toBe(3);
    } finally {
      await pool.close();
      await limited.close();
    }
  });

  it('an unexpected status is UpstreamUnavailableError with that status', async () => {
    await emulator.injectFault({ route: 'whoami', status: 418, times: 1 });
    const error = await guard.failure(client().whoami());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(418);
  });

  it('no automatic retry: each failure costs exactly one upstream call', async () => {
    await emulator.injectFault({ route: 'getUser', status: 503, times: 1 });
    await guard.failure(client().getUser(ME));
    await emulator.injectFault({ route: 'getUser', mode: 'reset', times: 1 });
    await guard.failure(client().getUser(ME));
    expect((await emulator.stats()).calls.getUser).toBe(2);
  });
});

describe('caller abort', () => {
  it('cancels a hanging call promptly with the caller’s reason', async () => {
    await emulator.injectFault({ route: 'getUser', mode: 'hang', times: 1 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = guard.failure(client(30_000).getUser(ME, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(error.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await client().getUser(ME)).id).toBe(ME);
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await guard.failure(client().getUser(ME, { signal: AbortSignal.abort() }));
    expect(error.name).toBe('AbortError');
    expect((await emulator.stats()).calls.getUser).toBe(0);
  });

  it('cancels every chunk of a batch lookup', async () => {
    await emulator.injectFault({ route: 'batchUsers', mode: 'hang' });
    const ids = Array.from({ length: 150 }, (_, i) => `id-${i}`);
    const controller = new AbortController();
    const pending = guard.failure(client(30_000).getUsers(ids, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    expect((await pending).message).toBe('client went away');
  });

  it('a failing chunk fails the lookup', async () => {
    await emulator.injectFault({ route: 'batchUsers', status: 500, times: 1 });
    const ids = Array.from({ length: 250 }, (_, i) => `id-${i}`);
    expect(await guard.failure(client().getUsers(ids))).toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe('connection refused', () => {
  it('is UpstreamUnavailableError for API calls', async () => {
    const url = `http://127.0.0.1:${REFUSED_PORT}`;
    guard.secret(new URL(url).host);
    const pool = new UpstreamHttp({ baseUrl: url });
    try {
      const api = new UserApiClient({
        http: pool,
        tokenManager: new TokenManager({
          http: pool,
          clientId: 'client-demo-admin',
          clientSecret: 'demo-admin-secret',
        }),
      });
      const error = await guard.failure(api.getUser(ME));
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error).toMatchObject({ route: 'token' });
    } finally {
      await pool.close();
    }
  });
});

describe('after close', () => {
  it('calls on a closed pool fail with UpstreamUnavailableError; other pools are unaffected', async () => {
    const pool = new UpstreamHttp({ baseUrl: emulator.url });
    await pool.close();
    const api = new UserApiClient({
      http: pool,
      tokenManager: new TokenManager({
        http: pool,
        clientId: 'client-demo-admin',
        clientSecret: 'demo-admin-secret',
      }),
    });
    expect(await guard.failure(api.whoami())).toBeInstanceOf(UpstreamUnavailableError);
    expect(await guard.failure(client().getUser('nobody'))).toBeInstanceOf(UpstreamNotFoundError);
  });
});

describe('secrecy', () => {
  it('no error thrown in this file carries a secret, a token, a host or an upstream body', () => {
    expect(guard.errors.length).toBeGreaterThan(10);
    expect(guard.leaks(UPSTREAM_BODY_MARKERS)).toEqual([]);
  });
});
