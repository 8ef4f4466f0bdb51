import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';

const SECRET = 'demo-admin-secret';

describe('logs', () => {
  let gw: TestGateway;
  const lines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ level: 'trace', destination });
    gw = await startTestGateway({
      observability: { metrics: { defaultMetrics: false } },
      app: { logger },
      upstream: { logger: logger.child({ component: 'upstream' }) },
    });
  });

  afterAll(() => gw.close());

  it('never carry the client secret, a token or an Authorization header, successes and failures alike', async () => {
    const [someone] = await restSearch(gw.emulator, 'client-demo-admin', { limit: 1 });
    const id = String(someone?.['user-id']);
    const callerToken = await gw.emulator.token('client-demo-readonly');
    const caller = { authorization: `Bearer ${callerToken}`, 'x-request-id': 'ops-log-test' };

    expect((await gw.post(`{ user(id: "${id}") { id email } }`, {}, caller)).errors).toBeUndefined();
    const gatewayToken = await gw.upstream.tokenManager.getToken();
    await gw.post(`mutation { updateUser(id: "${id}", input: { nick: "n" }) { __typename } }`, {}, caller);
    // Failures: the upstream refuses the gateway's token once (401 replay with a new token), fails
    // a batch (503), and the token endpoint fails after the token is dropped.
    await gw.emulator.injectFault({ route: 'batchUsers', status: 401, times: 1 });
    await gw.post(`{ a: user(id: "${id}") { id } }`, {}, caller);
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503, times: 1 });
    await gw.post(`{ b: user(id: "${id}") { id } }`, {}, caller);
    await gw.emulator.injectFault({ route: 'batchUsers', status: 401, times: 2 });
    await gw.emulator.injectFault({ route: 'token', status: 500, times: 1 });
    await gw.post(`{ c: user(id: "${id}") { id } }`, {}, caller);
    await gw.post(
      '{ nope }',
      {},
      { ...caller, authorization: `Basic ${btoa(`client-demo-admin:${SECRET}`)}` },
    );
    await gw.fetch(`${gw.origin}/readyz`, { headers: caller });

    const all = lines.join('\n');
    // The capture did work: upstream summaries at debug level, tagged with the request id.
    expect(
      lines.some((l) => /"component":"upstream".*"route":"batchUsers".*"msg":"upstream call"/.test(l)),
    ).toBe(true);
    // The request id travels with the calls (no cache here, so no call is shared): every upstream
    // summary of the caller's reads and of its change names the caller's request.
    for (const route of ['batchUsers', 'changeUser']) {
      const summaries = lines.filter(
        (l) => l.includes(`"route":"${route}"`) && l.includes('"msg":"upstream call"'),
      );
      expect(summaries.length).toBeGreaterThan(0);
      expect(summaries.filter((l) => !l.includes('"requestId":"ops-log-test"'))).toEqual([]);
    }
    expect(lines.some((l) => l.includes('"event":"graphql_operation"'))).toBe(true);
    expect(lines.some((l) => l.includes('access token request failed'))).toBe(true);

    for (const secret of [
      SECRET,
      btoa(`client-demo-admin:${SECRET}`),
      callerToken,
      gatewayToken,
      callerToken.split('.')[2] ?? callerToken,
      gatewayToken.split('.')[2] ?? gatewayToken,
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    expect(all).not.toMatch(/bearer\s+(?!\[redacted\])\S/i);
    expect(all).not.toMatch(/"authorization":"(?!\[redacted\])/i);
  });

  it('are one JSON object per line', () => {
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});

describe('createLogger', () => {
  it('redacts secrets wherever they are logged', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ destination });
    logger.info(
      {
        clientSecret: SECRET,
        token: 'eyJabc.def.ghi',
        headers: { authorization: 'Bearer x', cookie: 'c=1' },
        nested: { access_token: 't', secret: SECRET },
      },
      'm',
    );
    expect(lines.join('')).not.toMatch(new RegExp(`${SECRET}|eyJabc|Bearer x|c=1|"t"`));
  });
});
