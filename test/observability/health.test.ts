import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { postJson } from '../support/http.js';

const open: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((gw) => gw.close()));
});

async function gateway(readinessCacheMs?: number): Promise<TestGateway> {
  const gw = await startTestGateway({
    observability: { metrics: { defaultMetrics: false }, readinessCacheMs },
  });
  open.push(gw);
  return gw;
}

async function get(gw: TestGateway, path: string, headers: Record<string, string> = {}) {
  const response = await gw.fetch(`${gw.origin}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

describe('GET /healthz', () => {
  it('answers 200 with a small JSON body, costs no upstream call and needs no CSRF header', async () => {
    const gw = await gateway();
    const res = await get(gw, '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', uptimeSec: expect.any(Number) });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ token: 0, whoami: 0 }));
  });

  it('refuses other methods', async () => {
    const gw = await gateway();
    const response = await gw.fetch(`${gw.origin}/healthz`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('x-request-id', () => {
  it('echoes a sane caller id and replaces an unsafe one with a UUID', async () => {
    const gw = await gateway();
    const sane = await postJson(
      gw.url,
      { query: '{ me { user { id } } }' },
      { 'x-request-id': 'req-42.a:b' },
      gw.fetch,
    );
    expect(sane.headers.get('x-request-id')).toBe('req-42.a:b');
    const unsafe = await gw.fetch(`${gw.origin}/healthz`, {
      headers: { 'x-request-id': 'a b\u00e9<script>' },
    });
    expect(unsafe.headers.get('x-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });
});

describe('GET /readyz', () => {
  it('is ready when a token can be obtained and the upstream answers; probes within the cache cost nothing', async () => {
    const gw = await gateway(60_000);
    const first = await get(gw, '/readyz');
    expect(first).toEqual({
      status: 200,
      headers: expect.anything(),
      body: { status: 'ready', checks: { token: 'ok', upstream: 'ok' } },
    });
    for (let i = 0; i < 5; i++) expect((await get(gw, '/readyz')).status).toBe(200);
    const { calls } = await gw.emulator.stats();
    expect(calls).toEqual(expect.objectContaining({ token: 1, whoami: 1 }));
  });

  it('spends no probe call while real traffic shows the upstream answering', async () => {
    const gw = await gateway(60_000);
    await gw.post('{ me { user { id } } }');
    await gw.emulator.resetStats();
    expect((await get(gw, '/readyz')).status).toBe(200);
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ token: 0, whoami: 0 }));
  });

  it('turns unready (503) when the token endpoint fails, with no URL or secret in the body', async () => {
    const gw = await gateway();
    // Before the first probe: no token is cached, so the probe must ask the token endpoint.
    await gw.emulator.injectFault({ route: 'token', status: 500 });
    const response = await gw.fetch(`${gw.origin}/readyz`);
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(text)).toEqual({
      status: 'unready',
      checks: { token: 'unavailable', upstream: 'skipped' },
    });
    expect(text).not.toMatch(/http|127\.0\.0\.1|secret|Bearer|Basic/i);
  });

  it('turns unready when the User API fails, and ready again when it recovers (cache 0)', async () => {
    const gw = await gateway(0);
    expect((await get(gw, '/readyz')).status).toBe(200);
    await gw.emulator.injectFault({ route: 'whoami', status: 503 });
    expect(await get(gw, '/readyz')).toEqual({
      status: 503,
      headers: expect.anything(),
      body: { status: 'unready', checks: { token: 'ok', upstream: 'unavailable' } },
    });
    await gw.emulator.clearFaults();
    expect((await get(gw, '/readyz')).status).toBe(200);
  });
});
