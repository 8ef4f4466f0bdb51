// Upstream faults end to end: GraphQL over HTTP → gateway → the emulator with injected faults.
// Exact upstream call counts from the emulator's stats; no real waiting (sleep is injected).
import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { codeOf, ResponseLog, startResilientGateway } from '../support/resilient-gateway.js';
import type { ResilientGateway } from '../support/resilient-gateway.js';

const ME = DEMO_OWNER_IDS.org1Admin;
const READER = DEMO_OWNER_IDS.org1Reader;
const USER = `{ user(id: "${ME}") { id } }`;
const WHOAMI = '{ me { user { id } } }';
const SEARCH = '{ searchUsers(first: 1) { totalCount } }';
const UPDATE = `mutation { updateUser(id: "${READER}", input: { nick: "retry-check" }) { __typename } }`;

const log = new ResponseLog();

describe('reads are retried on transient failures', () => {
  let gw: ResilientGateway;
  beforeAll(async () => {
    // 1 s per attempt: 300 ms timed out sound answers while the rest of the suite loaded the machine.
    gw = await startResilientGateway({ upstream: { timeoutMs: 1_000 } });
    await log.post(gw, USER); // a warm token, so only API calls are counted below
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    await gw.emulator.clearFaults();
    await gw.emulator.resetStats();
    gw.sleeps.length = 0;
    gw.events.requests.length = 0;
    gw.events.retries.length = 0;
  });
  const calls = async () => (await gw.emulator.stats()).calls;

  it.each([
    ['503', { status: 503 }, 'status 503'],
    ['502', { status: 502 }, 'status 502'],
    ['504', { status: 504 }, 'status 504'],
    ['a connection reset', { mode: 'reset' as const }, 'transport'],
    ['a hang (attempt timeout)', { mode: 'hang' as const }, 'timeout'],
  ])('%s once on batchUsers: the answer is data, after 2 batch calls', async (_case, fault, reason) => {
    await gw.emulator.injectFault({ route: 'batchUsers', times: 1, ...fault });
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
    expect((await calls()).batchUsers).toBe(2);
    expect(gw.events.retries).toEqual([`batchUsers #2 ${reason}`]);
    // Full jitter with random() = 0.5 on a 100 ms base.
    expect(gw.sleeps).toEqual([50]);
  });

  it('reports each attempt with its number, status and batch size', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503, times: 1 });
    await log.post(gw, USER);
    expect(gw.events.requests).toEqual([
      { route: 'batchUsers', status: 503, attempt: 1, batchSize: 1 },
      { route: 'batchUsers', status: 200, attempt: 2, batchSize: 1 },
    ]);
  });

  it('a persistent 503 is UPSTREAM_UNAVAILABLE after exactly maxAttempts calls', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503 });
    const response = await log.post(gw, USER);
    expect(response.data).toEqual({ user: null });
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((await calls()).batchUsers).toBe(3);
    expect(gw.events.requests.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it('whoami and search are reads too', async () => {
    await gw.emulator.injectFault({ route: 'whoami', status: 503, times: 1 });
    await gw.emulator.injectFault({ route: 'searchUsers', mode: 'reset', times: 1 });
    expect(await log.post(gw, WHOAMI)).toEqual({ data: { me: { user: { id: ME } } } });
    expect(codeOf(await log.post(gw, SEARCH))).toBeUndefined();
    const stats = await calls();
    expect(stats.whoami).toBe(2);
    expect(stats.searchUsers).toBe(2);
  });

  it.each([
    ['500 (decided: not transient)', { status: 500 }, 'UPSTREAM_UNAVAILABLE'],
    ['malformed JSON', { mode: 'malformed' as const }, 'UPSTREAM_INVALID_RESPONSE'],
    ['HTML with status 200', { mode: 'html' as const }, 'UPSTREAM_INVALID_RESPONSE'],
    ['404 on the whole route', { status: 404 }, 'NOT_FOUND'],
    ['403', { status: 403 }, 'FORBIDDEN'],
  ])('%s is not retried: %s after 1 call', async (_case, fault, code) => {
    await gw.emulator.injectFault({ route: 'batchUsers', times: 1, ...fault });
    const response = await log.post(gw, USER);
    expect(response.data).toEqual({ user: null });
    expect(codeOf(response)).toBe(code);
    expect((await calls()).batchUsers).toBe(1);
    expect(gw.sleeps).toEqual([]);
  });

  it('429 with a short Retry-After (1 s ≤ 2 s): waited out exactly, then data', async () => {
    await gw.emulator.injectFault({ route: 'searchUsers', status: 429, times: 1 });
    const response = await log.post(gw, SEARCH);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ searchUsers: { totalCount: expect.any(Number) } });
    expect((await calls()).searchUsers).toBe(2);
    expect(gw.sleeps).toEqual([1000]);
    expect(gw.events.retries).toEqual(['searchUsers #2 rate_limited']);
  });

  it('updateUser is never retried: a 503 on changeUser costs exactly 1 call', async () => {
    await gw.emulator.injectFault({ route: 'changeUser', status: 503, times: 1 });
    const response = await log.post(gw, UPDATE);
    expect(codeOf(response)).toBe('UPSTREAM_UNAVAILABLE');
    expect((await calls()).changeUser).toBe(1);
    expect(gw.events.retries).toEqual([]);
  });

  it('updateUser is never retried: a reset or a timeout costs exactly 1 call', async () => {
    await gw.emulator.injectFault({ route: 'changeUser', mode: 'reset', times: 1 });
    expect(codeOf(await log.post(gw, UPDATE))).toBe('UPSTREAM_UNAVAILABLE');
    await gw.emulator.injectFault({ route: 'changeUser', mode: 'hang', times: 1 });
    expect(codeOf(await log.post(gw, UPDATE))).toBe('UPSTREAM_TIMEOUT');
    expect((await calls()).changeUser).toBe(2);
  });
});

describe('429 with a long Retry-After', () => {
  let gw: ResilientGateway;
  beforeAll(async () => {
    gw = await startResilientGateway({ emulator: { rateLimit: { quota: 1, windowMs: 60_000 } } });
  });
  afterAll(() => gw.close());

  it('fails at once with RATE_LIMITED and retryAfter, without retrying', async () => {
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
    const response = await log.post(gw, USER);
    expect(response.data).toEqual({ user: null });
    expect(response.errors?.[0]?.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter: expect.any(Number),
    });
    expect(response.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(2);
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(2);
    expect(gw.sleeps).toEqual([]);
  });
});

describe('retry budget', () => {
  let gw: ResilientGateway;
  beforeAll(async () => {
    gw = await startResilientGateway({
      retry: { maxAttempts: 3, budgetRatio: 0.5, budgetMinRetries: 0 },
    });
    await gw.upstream.tokenManager.getToken();
  });
  afterAll(() => gw.close());

  it('a failing upstream gets at most ~1.5× the reads, not 3×', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503 });
    const perOperation: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = (await gw.emulator.stats()).calls.batchUsers;
      expect(codeOf(await log.post(gw, USER))).toBe('UPSTREAM_UNAVAILABLE');
      perOperation.push((await gw.emulator.stats()).calls.batchUsers - before);
    }
    expect(perOperation).toEqual([2, 1, 2, 1, 2, 1]);
  });
});

describe('circuit breaker', () => {
  let gw: ResilientGateway;
  beforeAll(async () => {
    gw = await startResilientGateway({
      retry: { maxAttempts: 3 },
      breaker: { failureThreshold: 3, cooldownMs: 5_000 },
    });
    await gw.upstream.tokenManager.getToken();
  });
  afterAll(() => gw.close());

  it('opens after a failing read, fails fast with 0 calls, probes after the cool-down and closes', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503 });
    await gw.emulator.resetStats();

    expect(codeOf(await log.post(gw, USER))).toBe('UPSTREAM_UNAVAILABLE');
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(3);
    expect(gw.upstream.breaker?.state).toBe('open');
    expect(gw.events.states).toEqual(['open']);

    // Open: the next operations fail fast, whatever route they need.
    await gw.emulator.resetStats();
    const fast = await log.post(gw, USER);
    expect(fast.data).toEqual({ user: null });
    expect(fast.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(codeOf(await log.post(gw, WHOAMI))).toBe('UPSTREAM_UNAVAILABLE');
    let stats = await gw.emulator.stats();
    expect(stats.calls.batchUsers).toBe(0);
    expect(stats.calls.whoami).toBe(0);

    // The upstream recovers; until the cool-down ends the gateway does not know it.
    await gw.emulator.clearFaults();
    gw.advance(4_999);
    expect(codeOf(await log.post(gw, USER))).toBe('UPSTREAM_UNAVAILABLE');
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(0);

    gw.advance(1);
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
    expect(await log.post(gw, WHOAMI)).toEqual({ data: { me: { user: { id: ME } } } });
    stats = await gw.emulator.stats();
    expect(stats.calls.batchUsers).toBe(1);
    expect(stats.calls.whoami).toBe(1);
    expect(gw.upstream.breaker?.state).toBe('closed');
    expect(gw.events.states).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed probe opens it again: one call per cool-down', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503 });
    await log.post(gw, USER);
    expect(gw.upstream.breaker?.state).toBe('open');
    await gw.emulator.resetStats();
    gw.advance(5_000);
    expect(codeOf(await log.post(gw, USER))).toBe('UPSTREAM_UNAVAILABLE');
    expect(codeOf(await log.post(gw, USER))).toBe('UPSTREAM_UNAVAILABLE');
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(1);
    expect(gw.upstream.breaker?.state).toBe('open');
    await gw.emulator.clearFaults();
    gw.advance(5_000);
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
  });

  it('updateUser is not blocked by the read breaker and still makes one call', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503 });
    await log.post(gw, USER);
    expect(gw.upstream.breaker?.state).toBe('open');
    await gw.emulator.resetStats();
    expect(await log.post(gw, UPDATE)).toEqual({ data: { updateUser: { __typename: 'UpdateUserSuccess' } } });
    expect((await gw.emulator.stats()).calls.changeUser).toBe(1);
    await gw.emulator.clearFaults();
    gw.advance(5_000);
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
  });
});

describe('operation deadline', () => {
  let gw: ResilientGateway;
  beforeAll(async () => {
    gw = await startResilientGateway({
      upstream: { timeoutMs: 60_000 },
      operationDeadlineMs: 300,
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
    });
    await gw.upstream.tokenManager.getToken();
  });
  afterAll(() => gw.close());

  it('a hanging read stops at the deadline with UPSTREAM_TIMEOUT: 1 call, no retry, breaker closed', async () => {
    await gw.emulator.injectFault({ route: 'batchUsers', mode: 'hang', times: 1 });
    await gw.emulator.resetStats();
    const response = await log.post(gw, USER);
    expect(response.data).toEqual({ user: null });
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT' });
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(1);
    expect(gw.events.retries).toEqual([]);
    // The deadline is the operation's budget, not a sign of upstream trouble.
    expect(gw.upstream.breaker?.state).toBe('closed');
    expect(await log.post(gw, USER)).toEqual({ data: { user: { id: ME } } });
  });

  it('covers writes too', async () => {
    await gw.emulator.injectFault({ route: 'changeUser', mode: 'hang', times: 1 });
    expect(codeOf(await log.post(gw, UPDATE))).toBe('UPSTREAM_TIMEOUT');
  });
});

describe('secrecy', () => {
  it('no response of this file carries a secret, a token, a host or an upstream body', () => {
    expect(log.texts.length).toBeGreaterThan(30);
    expect(log.leaks()).toEqual([]);
  });
});
