// The service token under stress, end to end through the gateway (the token manager's own rules are
// tested at the client level in test/upstream/token-manager.test.ts). Each case starts a cold
// gateway, so no token is cached when it begins.
import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { codeOf, ResponseLog, startResilientGateway } from '../support/resilient-gateway.js';
import type { ResilientGateway } from '../support/resilient-gateway.js';

const ME = DEMO_OWNER_IDS.org1Admin;
const USER = `{ user(id: "${ME}") { id } }`;
const log = new ResponseLog();

async function withGateway(
  options: Parameters<typeof startResilientGateway>[0],
  run: (gw: ResilientGateway) => Promise<void>,
): Promise<void> {
  const gw = await startResilientGateway(options);
  try {
    await run(gw);
  } finally {
    await gw.close();
  }
}

it('cold-start storm: 30 concurrent operations share one token request', async () => {
  await withGateway({ breaker: { failureThreshold: 5 } }, async (gw) => {
    const responses = await Promise.all(Array.from({ length: 30 }, () => log.post(gw, USER)));
    expect(responses.every((r) => JSON.stringify(r) === JSON.stringify({ data: { user: { id: ME } } }))).toBe(
      true,
    );
    const stats = await gw.emulator.stats();
    expect(stats.calls.token).toBe(1);
    expect(stats.calls.batchUsers).toBe(30);
    expect(gw.events.tokens).toEqual([true]);
  });
});

it('401 storm: one token refresh, every operation replayed once and answered; no retries spent', async () => {
  await withGateway({ breaker: { failureThreshold: 5 } }, async (gw) => {
    await log.post(gw, USER);
    await gw.emulator.resetStats();
    // The 401s are held back a little so that all ten first calls (not a replay) are in flight and
    // take them: a storm, as when the upstream stops accepting the token every caller holds.
    await gw.emulator.injectFault({ route: 'batchUsers', status: 401, delayMs: 300, times: 10 });
    const responses = await Promise.all(Array.from({ length: 10 }, () => log.post(gw, USER)));
    expect(responses.map((r) => codeOf(r))).toEqual(Array.from({ length: 10 }, () => undefined));
    const stats = await gw.emulator.stats();
    expect(stats.calls.token).toBe(1);
    expect(stats.calls.batchUsers).toBe(20);
    expect(gw.events.retries).toEqual([]);
    expect(gw.upstream.breaker?.state).toBe('closed');
  });
});

it('token expiry: a token the upstream expired is replaced, and the operation answers', async () => {
  // Lifetime 1 s: the token manager serves it for 0.75 s; after that it must fetch a new one. The
  // emulator's and the token manager's clocks move 1.1 s together, instead of the test waiting.
  let now = Date.now();
  const clock = () => now;
  await withGateway({ emulator: { tokenLifetimeSec: 1, clock }, upstream: { now: clock } }, async (gw) => {
    await log.post(gw, USER);
    now += 1_100;
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
    const stats = await gw.emulator.stats();
    expect(stats.calls.token).toBe(2);
    expect(stats.calls.batchUsers).toBe(2);
  });
});

it.each([
  ['down (503)', { status: 503 }, 'UPSTREAM_UNAVAILABLE'],
  ['resetting connections', { mode: 'reset' as const }, 'UPSTREAM_UNAVAILABLE'],
  ['answering HTML', { mode: 'html' as const }, 'UPSTREAM_INVALID_RESPONSE'],
  ['answering malformed JSON', { mode: 'malformed' as const }, 'UPSTREAM_INVALID_RESPONSE'],
  ['rejecting the credentials (401)', { status: 401 }, 'UPSTREAM_UNAVAILABLE'],
])('token endpoint %s: %s, one token request, no API call, no read retry', async (_case, fault, code) => {
  await withGateway({}, async (gw) => {
    await gw.emulator.injectFault({ route: 'token', ...fault });
    const response = await log.post(gw, USER);
    expect(response.data).toEqual({ user: null });
    expect(response.errors?.[0]?.extensions).toEqual({ code });
    const stats = await gw.emulator.stats();
    expect(stats.calls.token).toBe(1);
    expect(stats.calls.batchUsers).toBe(0);
    expect(gw.events.retries).toEqual([]);
    expect(gw.events.tokens).toEqual([false]);
  });
});

it('a hanging token endpoint ends at the attempt timeout with UPSTREAM_TIMEOUT', async () => {
  await withGateway({ upstream: { timeoutMs: 200 } }, async (gw) => {
    await gw.emulator.injectFault({ route: 'token', mode: 'hang', times: 1 });
    expect(codeOf(await log.post(gw, USER))).toBe('UPSTREAM_TIMEOUT');
  });
});

it('no response of this file carries a secret, a token, a host or an upstream body', () => {
  expect(log.texts.length).toBeGreaterThan(40);
  expect(log.leaks()).toEqual([]);
});
