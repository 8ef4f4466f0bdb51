// Shapes and transport behaviour the emulator never produces, end to end through the gateway: a stub
// upstream (test/support/stub-server.ts) that drips, hangs, drifts or answers oversized bodies, a
// client that disconnects, and a closed port.
import { json, startStubServer, STUB_TOKEN, wireUser } from '../support/stub-server.js';
import type { StubServer } from '../support/stub-server.js';
import { codeOf, ResponseLog, startResilientGateway } from '../support/resilient-gateway.js';
import type { ResilientGateway } from '../support/resilient-gateway.js';
import { REFUSED_PORT } from '../support/net.js';

const log = new ResponseLog();
let stub: StubServer;
let gw: ResilientGateway;

beforeAll(async () => {
  stub = await startStubServer();
  gw = await startResilientGateway({
    retry: { maxAttempts: 2 },
    // 1 s: the drip below takes over 10 s, and a loaded 2-core machine can stall a sound answer for 300 ms.
    upstream: { baseUrl: stub.url, timeoutMs: 1_000, maxBodyBytes: 4_096 },
  });
});
afterAll(async () => {
  await gw.close();
  await stub.close();
});
beforeEach(() => {
  stub.requests.length = 0;
  gw.sleeps.length = 0;
});

const batchCalls = () => stub.requests.filter((r) => r.startsWith('GET /iroh/user-mgmt/batch/users'));
const USERS = (ids: string[]) => `{ users(ids: ${JSON.stringify(ids)}) { id name } }`;

describe('batch rows', () => {
  it('reordered, missing, duplicate and unasked rows: mapped back by id, in the asked order', async () => {
    stub.handle = (_req, res) =>
      json(res, 200, [
        wireUser('c', { 'user-name': 'C' }),
        wireUser('zz-not-asked'),
        wireUser('a', { 'user-name': 'first a' }),
        wireUser('a', { 'user-name': 'second a' }),
        wireUser('c', { 'user-name': 'C again' }),
      ]);
    expect(await log.post(gw, USERS(['a', 'b', 'c', 'a']))).toEqual({
      data: {
        users: [{ id: 'a', name: 'first a' }, null, { id: 'c', name: 'C' }, { id: 'a', name: 'first a' }],
      },
    });
    expect(batchCalls()).toEqual(['GET /iroh/user-mgmt/batch/users?id=a&id=b&id=c']);
  });
});

describe('schema drift', () => {
  it('extra unknown keys are ignored', async () => {
    stub.handle = (_req, res) =>
      json(res, 200, [wireUser('a', { 'future-key': { x: 1 }, 'user-name': 'A' })]);
    expect(await log.post(gw, USERS(['a']))).toEqual({ data: { users: [{ id: 'a', name: 'A' }] } });
  });

  it.each([
    ['a missing required key', { 'created-at': undefined }],
    ['a wrong-typed field', { 'enabled?': 'yes' }],
    ['an unknown role', { role: 'owner' }],
  ])('%s is UPSTREAM_INVALID_RESPONSE after 1 call (not retried)', async (_case, drift) => {
    stub.handle = (_req, res) => json(res, 200, [wireUser('a', drift)]);
    const response = await log.post(gw, USERS(['a']));
    expect(response.data).toBeNull(); // users: [User]! is non-null: the error reaches the root
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_INVALID_RESPONSE' });
    expect(batchCalls()).toHaveLength(1);
  });
});

describe('bodies', () => {
  it('an oversized body (declared) is UPSTREAM_INVALID_RESPONSE after 1 call', async () => {
    const many = Array.from({ length: 40 }, (_, i) => wireUser(`u-${i}`));
    stub.handle = (_req, res) => json(res, 200, many);
    expect(JSON.stringify(many).length).toBeGreaterThan(4_096);
    const response = await log.post(gw, USERS(['u-1']));
    expect(codeOf(response)).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(batchCalls()).toHaveLength(1);
  });

  it('an oversized body (streamed, no length) is UPSTREAM_INVALID_RESPONSE too', async () => {
    stub.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      for (let i = 0; i < 40; i++) res.write(`${i ? ',' : ''}${JSON.stringify(wireUser(`u-${i}`))}`);
      res.end(']');
    };
    expect(codeOf(await log.post(gw, USERS(['u-1'])))).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(batchCalls()).toHaveLength(1);
  });

  it('a slow drip (body slower than the attempt timeout) times out each attempt: UPSTREAM_TIMEOUT', async () => {
    stub.handle = (_req, res) => {
      const body = JSON.stringify([wireUser('a')]);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      let sent = 0;
      const drip = setInterval(() => {
        if (sent >= body.length) {
          clearInterval(drip);
          res.end();
          return;
        }
        res.write(body[sent++]);
      }, 50);
      res.on('close', () => clearInterval(drip));
    };
    const response = await log.post(gw, USERS(['a']));
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_TIMEOUT' });
    // The attempt timeout covers the body, not just the headers; the timeout is retried once.
    expect(batchCalls()).toHaveLength(2);
    expect(gw.events.retries.at(-1)).toBe('batchUsers #2 timeout');
  });
});

describe('a client that disconnects', () => {
  it('aborts the gateway’s upstream call (the upstream sees the connection close), and no retry follows', async () => {
    // Both deadlines are far beyond the test's own timeout: only the disconnect can end the call.
    const patient = await startResilientGateway({
      listen: true,
      upstream: { baseUrl: stub.url, timeoutMs: 120_000 },
      operationDeadlineMs: 120_000,
    });
    try {
      let arrived: () => void = () => {};
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      let closed: () => void = () => {};
      const closing = new Promise<void>((resolve) => (closed = resolve));
      stub.handle = (_req, res) => {
        res.on('close', () => closed());
        arrived(); // and never answer
      };
      const controller = new AbortController();
      const request = fetch(patient.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: USERS(['a']) }),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      await arrival;
      controller.abort();
      expect(((await request) as Error).name).toBe('AbortError');
      await closing;
      expect(batchCalls()).toHaveLength(1);
      expect(patient.events.requests.filter((r) => r.route === 'batchUsers')).toEqual([
        { route: 'batchUsers', status: 0, attempt: 1, batchSize: 1 },
      ]);
      expect(patient.events.retries).toEqual([]);
    } finally {
      await patient.close();
    }
  });
});

describe('connection refused', () => {
  it('a closed port is UPSTREAM_UNAVAILABLE without the host', async () => {
    const port = REFUSED_PORT;
    const refused = await startResilientGateway({ upstream: { baseUrl: `http://127.0.0.1:${port}` } });
    try {
      const response = await log.post(refused, USERS(['a']));
      expect(response.data).toBeNull(); // users: [User]! is non-null: the error reaches the root
      expect(response.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(refused.events.tokens).toEqual([false]);
      expect(JSON.stringify(response)).not.toContain(String(port));
    } finally {
      await refused.close();
    }
  });
});

describe('secrecy', () => {
  it('no response of this file carries a secret, the stub token, a host or an upstream body', () => {
    expect(log.texts.length).toBeGreaterThan(8);
    expect(log.leaks([STUB_TOKEN, new URL(stub.url).port])).toEqual([]);
  });
});
