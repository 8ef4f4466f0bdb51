import { DEMO_OWNER_IDS } from '../../src/emulator/demo-clients.js';
import { startEmulator } from '../../src/emulator/server.js';
import { TRACE_ID, call, requestToken } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';
import { postJson } from '../support/http.js';

let emulator: TestEmulator;
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  token = await emulator.token();
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await emulator.clearFaults();
  await emulator.resetStats();
});

const ownerPath = `/iroh/user-mgmt/users/${encodeURIComponent(DEMO_OWNER_IDS.org1Admin)}`;
const getOwner = (options: { signal?: AbortSignal } = {}) =>
  options.signal
    ? fetch(`${emulator.url}${ownerPath}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: options.signal,
      })
    : call(emulator.url, 'GET', ownerPath, { token });
const zeroCalls = { token: 0, getUser: 0, batchUsers: 0, searchUsers: 0, changeUser: 0, whoami: 0 };

describe('GET /__emulator/stats', () => {
  it('counts every call that reached a route, failed ones included, and the size of each batch', async () => {
    await emulator.token('client-demo-readonly');
    await requestToken(emulator.url, 'client-demo-admin', 'wrong');
    await call(emulator.url, 'GET', '/iroh/profile/whoami', { token });
    await call(emulator.url, 'GET', '/iroh/profile/whoami');
    await call(emulator.url, 'GET', ownerPath, { token });
    await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users?id=a&id=b&id=a', { token });
    await call(emulator.url, 'GET', `/iroh/user-mgmt/batch/users?${'id=x&'.repeat(101)}`, { token });
    await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users', { token });
    await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', { token, json: { bad: 1 } });
    await call(emulator.url, 'POST', ownerPath, { token, json: { 'user-nick': 'ada' } });
    // Neither the JWKS, unknown routes nor wrong methods are counted.
    await call(emulator.url, 'GET', '/.well-known/jwks');
    await call(emulator.url, 'GET', '/nowhere');
    await call(emulator.url, 'DELETE', ownerPath, { token });

    expect(await emulator.stats()).toEqual({
      calls: { token: 2, getUser: 1, batchUsers: 3, searchUsers: 1, changeUser: 1, whoami: 2 },
      batchSizes: [3, 101, 0],
    });
    await emulator.resetStats();
    expect(await emulator.stats()).toEqual({ calls: zeroCalls, batchSizes: [] });
  });
});

describe('faults', () => {
  it('answers with an injected status a given number of times, still counting the calls', async () => {
    await emulator.injectFault({ route: 'getUser', status: 500, times: 2 });
    for (let i = 0; i < 2; i++) {
      const answer = await call(emulator.url, 'GET', ownerPath, { token });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 500,
        body: { error: 'unknown-exception', error_description: 'injected fault (500)', trace_id: TRACE_ID },
      });
    }
    expect((await call(emulator.url, 'GET', ownerPath, { token })).status).toBe(200);
    // Other routes were never affected.
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(200);
    expect((await emulator.stats()).calls).toEqual({ ...zeroCalls, getUser: 3, whoami: 1 });
  });

  it('shapes injected 401, 403, 404 and 429 bodies like the contract', async () => {
    await emulator.injectFault({ route: 'whoami', status: 401, times: 1 });
    await emulator.injectFault({ route: 'token', status: 401, times: 1 });
    await emulator.injectFault({ route: 'batchUsers', status: 429, times: 1 });
    await emulator.injectFault({ route: 'searchUsers', status: 404, times: 1 });
    await emulator.injectFault({ route: 'changeUser', status: 403, times: 1 });

    const whoami = await call(emulator.url, 'GET', '/iroh/profile/whoami', { token });
    expect({ status: whoami.status, body: whoami.body }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'injected fault (401)', trace_id: TRACE_ID },
    });
    const tokenAnswer = await requestToken(emulator.url, 'client-demo-admin', 'demo-admin-secret');
    expect({ status: tokenAnswer.status, body: tokenAnswer.body }).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'injected fault (401)' },
    });
    const limited = await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users?id=a', { token });
    expect({ status: limited.status, body: limited.body }).toEqual({
      status: 429,
      body: { error: 'too_many_requests', error_description: 'injected fault (429)' },
    });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-org-limit')).toBe('8000');
    const missing = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', { token, json: {} });
    expect({ status: missing.status, body: missing.body }).toEqual({
      status: 404,
      body: { error: 'not_found', error_description: 'injected fault (404)', trace_id: TRACE_ID },
    });
    const forbidden = await call(emulator.url, 'POST', ownerPath, { token, json: { 'user-nick': 'x' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual(expect.objectContaining({ error: 'missing_scope', 'missing-scopes': [] }));
  });

  it('route "*" affects every route, the token endpoint included', async () => {
    await emulator.injectFault({ route: '*', status: 503, times: 3 });
    expect((await requestToken(emulator.url, 'client-demo-admin', 'demo-admin-secret')).status).toBe(503);
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(503);
    expect(
      (await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', { token, json: {} })).status,
    ).toBe(503);
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(200);
  });

  it('applies the first matching fault; later ones take over once it is used up', async () => {
    await emulator.injectFault({ route: 'getUser', status: 502, times: 1 });
    await emulator.injectFault({ route: '*', status: 504, times: 1 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(emulator.url, 'GET', ownerPath, { token })).status);
    expect(statuses).toEqual([502, 504, 200]);
  });

  it('delays, then answers normally or with the status', async () => {
    await emulator.injectFault({ route: 'getUser', delayMs: 300, times: 1 });
    let started = Date.now();
    const delayed = await call(emulator.url, 'GET', ownerPath, { token });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(delayed.status).toBe(200);

    await emulator.injectFault({ route: 'getUser', delayMs: 200, status: 500, times: 1 });
    started = Date.now();
    expect((await call(emulator.url, 'GET', ownerPath, { token })).status).toBe(500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('lasts until cleared when times is absent', async () => {
    await emulator.injectFault({ route: 'whoami', status: 500 });
    for (let i = 0; i < 4; i++) {
      expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(500);
    }
    expect((await call(emulator.url, 'GET', '/__emulator/faults')).body).toEqual({
      faults: [{ route: 'whoami', status: 500 }],
    });
    await emulator.clearFaults();
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(200);
    expect((await call(emulator.url, 'GET', '/__emulator/faults')).body).toEqual({ faults: [] });
  });

  it('mode hang: never answers until the client gives up', async () => {
    await emulator.injectFault({ route: 'getUser', mode: 'hang', times: 1 });
    await expect(getOwner({ signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i);
    expect((await call(emulator.url, 'GET', ownerPath, { token })).status).toBe(200);
    expect((await emulator.stats()).calls.getUser).toBe(2);
  });

  it('mode reset: destroys the connection', async () => {
    await emulator.injectFault({ route: 'getUser', mode: 'reset', times: 1 });
    await expect(call(emulator.url, 'GET', ownerPath, { token })).rejects.toThrow(/fetch failed/);
    expect((await call(emulator.url, 'GET', ownerPath, { token })).status).toBe(200);
  });

  it('mode malformed: 200 with truncated JSON', async () => {
    await emulator.injectFault({ route: 'searchUsers', mode: 'malformed', times: 1 });
    const response = await postJson(`${emulator.url}/iroh/user-mgmt/search/users`, '{}', {
      authorization: `Bearer ${token}`,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    await expect(response.json()).rejects.toThrow(/JSON/);
  });

  it('mode html: 200 with an HTML page', async () => {
    await emulator.injectFault({ route: 'batchUsers', mode: 'html', times: 1 });
    const answer = await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users?id=a', { token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.body).toMatch(/^<!DOCTYPE html>/);
  });

  it.each([
    [{}, { route: 'missing-required-key', mode: 'missing-required-key' }],
    [{ route: 'getUser' }, { mode: 'missing-required-key' }],
    [{ route: 'nope', status: 500 }, { route: 'invalid-value' }],
    [{ route: 'getUser', status: 200 }, { status: 'invalid-value' }],
    [{ route: 'getUser', status: '500' }, { status: 'invalid-value' }],
    [{ route: 'getUser', delayMs: -1 }, { delayMs: 'invalid-value' }],
    [{ route: 'getUser', mode: 'explode' }, { mode: 'invalid-value' }],
    [{ route: 'getUser', mode: 'hang', status: 500 }, { status: 'invalid-value' }],
    [{ route: 'getUser', status: 500, times: 0 }, { times: 'invalid-value' }],
    [{ route: 'getUser', status: 500, extra: true }, { extra: 'disallowed-key' }],
  ])('refuses the fault %j', async (fault, errors) => {
    const answer = await call(emulator.url, 'POST', '/__emulator/faults', { json: fault });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 400, body: { errors } });
  });
});

describe('lifecycle', () => {
  it('close() ends hung requests and keep-alive sockets promptly', async () => {
    const other = await startTestEmulator();
    const otherToken = await other.token();
    await call(other.url, 'GET', '/iroh/profile/whoami', { token: otherToken });
    await other.injectFault({ route: 'whoami', mode: 'hang' });
    await other.injectFault({ route: 'getUser', delayMs: 60_000 });
    const hung = fetch(`${other.url}/iroh/profile/whoami`, {
      headers: { authorization: `Bearer ${otherToken}` },
    });
    const delayed = fetch(`${other.url}${ownerPath}`, { headers: { authorization: `Bearer ${otherToken}` } });
    const outcomes = Promise.allSettled([hung, delayed]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await outcomes).map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('has no test controls unless asked', async () => {
    const plain = await startEmulator();
    try {
      for (const [method, path] of [
        ['GET', '/__emulator/stats'],
        ['POST', '/__emulator/stats/reset'],
        ['POST', '/__emulator/faults'],
        ['DELETE', '/__emulator/faults'],
        ['POST', '/__emulator/rate-limit/reset'],
        ['POST', '/__emulator/clients'],
      ] as const) {
        const answer = await call(
          plain.url,
          method,
          path,
          method === 'POST' ? { json: { route: '*', status: 500 } } : {},
        );
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 404,
          body: { error: 'not_found', error_description: `no route ${method} ${path}`, trace_id: TRACE_ID },
        });
      }
    } finally {
      await plain.close();
    }
  });
});
