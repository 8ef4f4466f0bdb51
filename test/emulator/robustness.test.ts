import { connect } from 'node:net';
import { TRACE_ID, call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';

let emulator: TestEmulator;
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  token = await emulator.token('client-demo-admin');
});
afterAll(() => emulator.close());

/** Sends raw bytes and returns whatever the server writes back before closing. */
function rawExchange(payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(emulator.port, '127.0.0.1', () => socket.write(payload));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(received);
    });
  });
}

async function stillServing() {
  const answer = await call(emulator.url, 'GET', '/iroh/profile/whoami', { token });
  expect(answer.status).toBe(200);
}

describe('robustness', () => {
  afterEach(stillServing);

  it('answers 400 to malformed JSON', async () => {
    const answer = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', {
      token,
      body: '{"role": ',
      headers: { 'content-type': 'application/json' },
    });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'the request body is not valid JSON',
        trace_id: TRACE_ID,
      },
    });
    expect(answer.headers.get('content-type')).toBe('application/json');
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const answer = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', {
      token,
      body: JSON.stringify({ query: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 413,
      body: {
        error: 'payload_too_large',
        error_description: 'request bodies are limited to 1048576 bytes',
        trace_id: TRACE_ID,
      },
    });
  });

  it.each([
    ['GET', '/'],
    ['GET', '/iroh/user-mgmt/users'],
    ['GET', '/iroh/user-mgmt/users/'],
    ['GET', '/iroh/user-mgmt/users/a/b'],
    ['GET', '/iroh/profile/whoami/'],
    ['GET', '/__emulator/nothing'],
    ['POST', '/v1/iroh/oauth2/token'],
  ])('answers 404 to %s %s', async (method, path) => {
    const answer = await call(emulator.url, method, path, { token });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 404,
      body: {
        error: 'not_found',
        error_description: expect.stringMatching(/^no route /),
        trace_id: TRACE_ID,
      },
    });
  });

  it.each([
    ['GET', '/iroh/oauth2/token', 'POST'],
    ['PUT', '/iroh/user-mgmt/users/x', 'GET, POST'],
    ['PATCH', '/iroh/user-mgmt/users/x', 'GET, POST'],
    ['DELETE', '/iroh/user-mgmt/users/x', 'GET, POST'],
    ['POST', '/iroh/user-mgmt/batch/users', 'GET'],
    ['GET', '/iroh/user-mgmt/search/users', 'POST'],
    ['POST', '/iroh/profile/whoami', 'GET'],
    ['POST', '/.well-known/jwks', 'GET'],
  ])('answers 405 to %s %s', async (method, path, allow) => {
    const answer = await call(emulator.url, method, path, { token });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 405,
      body: { error: 'method_not_allowed', error_description: expect.any(String), trace_id: TRACE_ID },
    });
    expect(answer.headers.get('allow')).toBe(allow);
  });

  it.each(['%E0%A4%A', '%', '%zz', '%C0%80'])(
    'answers 400 to the malformed percent-encoding %s in an id',
    async (id) => {
      for (const method of ['GET', 'POST']) {
        const answer = await call(emulator.url, method, `/iroh/user-mgmt/users/${id}`, {
          token,
          ...(method === 'POST' ? { json: { 'user-nick': 'x' } } : {}),
        });
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 400,
          body: { errors: { 'user-id': 'invalid-value' } },
        });
      }
    },
  );

  it('tolerates garbage in query strings', async () => {
    const batch = await call(emulator.url, 'GET', '/iroh/user-mgmt/batch/users?id=%E0%A4%A&id=%&id', {
      token,
    });
    expect({ status: batch.status, body: batch.body }).toEqual({ status: 200, body: [] });
    const search = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users?limit=%E0%A4%A&sort_by=%', {
      token,
      json: {},
    });
    expect(search.body).toEqual({ errors: { limit: 'invalid-value', sort_by: 'invalid-value' } });
  });

  it('answers JSON to requests node cannot parse', async () => {
    const response = await rawExchange('GARBAGE / HTTP/1.1\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response).toContain('content-type: application/json');
    expect(response).toContain('"error":"invalid_request"');
  });

  it('answers a request target that is not a path', async () => {
    const response = await rawExchange('GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('"malformed request target"');
  });

  it('survives clients that hang up mid-body', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(emulator.port, '127.0.0.1', () => {
        socket.write(
          'POST /iroh/user-mgmt/search/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            `Authorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n{"query":`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
  });

  it('answers non-JSON text with a JSON error, and valid JSON of the wrong shape with 400', async () => {
    const text = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', {
      token,
      body: 'role=user',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.status).toBe(415);
    for (const body of ['"user"', '42', 'null', 'true']) {
      const answer = await call(emulator.url, 'POST', '/iroh/user-mgmt/search/users', {
        token,
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: { errors: { body: 'invalid-value' } },
      });
    }
  });
});
