// UPSTREAM_CONNECTIONS: how many upstream calls can be in flight at once, through the gateway's own
// wiring (the setting, loadConfig, createGateway, the pool). A stub upstream holds every batch call
// until the test lets it go, so that what reaches the wire at once is what the pool allows.
import type { ServerResponse } from 'node:http';
import { NOOP_ATTEMPT, NOOP_EVENTS } from '../../src/upstream/events.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { json, startStubServer, wireUser, type StubServer } from '../support/stub-server.js';
import { until } from '../support/wait.js';

let stub: StubServer;
let gw: TestGateway;
/** Batch calls the stub holds, with the id each asked for. */
const held: { id: string; res: ServerResponse }[] = [];
/** The client port of every batch call's socket: one per connection of the pool. */
const sockets = new Set<number>();
let attempts = 0;

beforeAll(async () => {
  stub = await startStubServer((req, res, url) => {
    sockets.add(req.socket.remotePort ?? 0);
    held.push({ id: url.searchParams.get('id') ?? '', res });
  });
  gw = await startTestGateway({
    upstream: {
      baseUrl: stub.url,
      connections: 2,
      events: {
        ...NOOP_EVENTS,
        attempt: (request) => {
          if (request.route === 'batchUsers') attempts++;
          return NOOP_ATTEMPT;
        },
      },
    },
  });
});
afterAll(async () => {
  await gw.close();
  await stub.close();
});

it('UPSTREAM_CONNECTIONS=2: six concurrent lookups, at most two calls on the wire, on two sockets', async () => {
  const ids = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const answers = Promise.all(ids.map((id) => gw.post(`{ user(id: "${id}") { id } }`)));

  // Every lookup has handed its call to the pool, and calls have reached the stub: two, no more.
  await until(() => attempts === ids.length && held.length >= 2);
  expect(held).toHaveLength(2);

  // Each answer frees a connection for one more call.
  let answered = 0;
  while (answered < ids.length) {
    await until(() => held.length > 0);
    expect(held.length).toBeLessThanOrEqual(2);
    const next = held.shift();
    if (next) json(next.res, 200, [wireUser(next.id)]);
    answered++;
  }

  expect(await answers).toEqual(ids.map((id) => ({ data: { user: { id } } })));
  expect(sockets.size).toBe(2);
});
