import { createUserCache } from '../../src/cache/user-cache.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';

let gw: TestGateway;
let ids: string[];

beforeAll(async () => {
  gw = await startTestGateway({ observability: {} });
  ids = (await restSearch(gw.emulator, 'client-demo-admin', { limit: 60 })).map((u) => String(u['user-id']));
  // Warm the token so that the counters below move by the operations only.
  await gw.upstream.tokenManager.getToken();
});

afterAll(() => gw.close());

/** One sample of the Prometheus text served on /metrics; 0 when the series does not exist yet. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const response = await gw.fetch(`${gw.origin}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (got === wanted) return Number(match[3]);
  }
  return 0;
}

const aliases = (n: number) =>
  Array.from({ length: n }, (_, i) => `u${i}: user(id: "${ids[i]}") { id email }`).join('\n');

describe('GET /metrics', () => {
  it('a 50-alias lookup adds exactly 1 batch call with status 200, of 50 ids, and 1 successful operation', async () => {
    const batch = { route: 'batchUsers', status: '200' };
    const before = {
      batch: await sample('xdr_gateway_upstream_requests_total', batch),
      token: await sample('xdr_gateway_upstream_requests_total', { route: 'token', status: '200' }),
      sizes: await sample('xdr_gateway_upstream_batch_size_count'),
      size50: await sample('xdr_gateway_upstream_batch_size_bucket', { le: '50' }),
      size25: await sample('xdr_gateway_upstream_batch_size_bucket', { le: '25' }),
      ops: await sample('xdr_gateway_graphql_operations_total', {
        operation: 'FiftyUsers',
        outcome: 'success',
      }),
      durations: await sample('xdr_gateway_graphql_operation_duration_seconds_count', {
        operation: 'FiftyUsers',
        outcome: 'success',
      }),
    };

    const res = await gw.post(`query FiftyUsers { ${aliases(50)} }`);
    expect(res.errors).toBeUndefined();
    expect(Object.keys(res.data ?? {})).toHaveLength(50);

    expect(await sample('xdr_gateway_upstream_requests_total', batch)).toBe(before.batch + 1);
    expect(await sample('xdr_gateway_upstream_requests_total', { route: 'token', status: '200' })).toBe(
      before.token,
    );
    expect(await sample('xdr_gateway_upstream_batch_size_count')).toBe(before.sizes + 1);
    expect(await sample('xdr_gateway_upstream_batch_size_bucket', { le: '50' })).toBe(before.size50 + 1);
    expect(await sample('xdr_gateway_upstream_batch_size_bucket', { le: '25' })).toBe(before.size25);
    expect(
      await sample('xdr_gateway_graphql_operations_total', { operation: 'FiftyUsers', outcome: 'success' }),
    ).toBe(before.ops + 1);
    expect(
      await sample('xdr_gateway_graphql_operation_duration_seconds_count', {
        operation: 'FiftyUsers',
        outcome: 'success',
      }),
    ).toBe(before.durations + 1);
    // The emulator agrees: one batch call.
    expect((await gw.emulator.stats()).batchSizes.slice(-1)).toEqual([50]);
  });

  it('counts upstream failures by status, operations with errors as "error", and refused ones as "rejected"', async () => {
    const failed = { route: 'batchUsers', status: '503' };
    const before = {
      failed: await sample('xdr_gateway_upstream_requests_total', failed),
      error: await sample('xdr_gateway_graphql_operations_total', {
        operation: 'anonymous',
        outcome: 'error',
      }),
      rejected: await sample('xdr_gateway_graphql_operations_total', {
        operation: 'Broken',
        outcome: 'rejected',
      }),
    };
    await gw.emulator.injectFault({ route: 'batchUsers', status: 503, times: 1 });
    const res = await gw.post(`{ ${aliases(3)} }`);
    expect(res.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    const refused = await gw.post('query Broken { nope }');
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');

    expect(await sample('xdr_gateway_upstream_requests_total', failed)).toBe(before.failed + 1);
    expect(
      await sample('xdr_gateway_graphql_operations_total', { operation: 'anonymous', outcome: 'error' }),
    ).toBe(before.error + 1);
    expect(
      await sample('xdr_gateway_graphql_operations_total', { operation: 'Broken', outcome: 'rejected' }),
    ).toBe(before.rejected + 1);
  });

  it('counts token fetches and failures', async () => {
    const fresh = await startTestGateway({ observability: { metrics: { defaultMetrics: false } } });
    try {
      await fresh.emulator.injectFault({ route: 'token', status: 500, times: 1 });
      await expect(fresh.upstream.tokenManager.getToken()).rejects.toThrow();
      const registry = fresh.metrics?.registry;
      const value = async (name: string) => (await registry?.getSingleMetric(name)?.get())?.values[0]?.value;
      expect(await value('xdr_gateway_token_fetches_total')).toBe(1);
      expect(await value('xdr_gateway_token_fetch_failures_total')).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('keeps labels low-cardinality: no ids, no queries, odd or surplus operation names bucketed', async () => {
    const fresh = await startTestGateway({
      observability: { metrics: { defaultMetrics: false, maxOperationNames: 2 } },
    });
    try {
      for (const name of ['One', 'Two', 'Three']) await fresh.post(`query ${name} { me { user { id } } }`);
      await fresh.post(`query ${'Long'.repeat(30)} { me { user { id } } }`);
      const text = await (await fresh.fetch(`${fresh.origin}/metrics`)).text();
      const counts = text.split('\n').filter((l) => l.startsWith('xdr_gateway_graphql_operations_total{'));
      expect(counts.sort()).toEqual([
        'xdr_gateway_graphql_operations_total{operation="One",outcome="success"} 1',
        'xdr_gateway_graphql_operations_total{operation="Two",outcome="success"} 1',
        'xdr_gateway_graphql_operations_total{operation="other",outcome="success"} 2',
      ]);
      expect(text).not.toMatch(/idb-amp|[0-9a-f]{8}-[0-9a-f]{4}-4|user\(id/);
    } finally {
      await fresh.close();
    }
  });

  it('serves the default process metrics, prefixed', async () => {
    expect(await sample('xdr_gateway_process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });
});

describe('retries and the circuit breaker', () => {
  it('are counted', async () => {
    const fresh = await startTestGateway({
      observability: { metrics: { defaultMetrics: false } },
      upstream: {
        resilience: {
          retry: { maxAttempts: 2, baseDelayMs: 0 },
          breaker: { failureThreshold: 2, cooldownMs: 60_000 },
        },
      },
    });
    try {
      await fresh.upstream.tokenManager.getToken();
      await fresh.emulator.injectFault({ route: 'batchUsers', status: 503 });
      const res = await fresh.post(`{ ${aliases(1)} }`);
      expect(res.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
      const text = await (await fresh.fetch(`${fresh.origin}/metrics`)).text();
      expect(text).toContain('xdr_gateway_upstream_retries_total{route="batchUsers",reason="status_503"} 1');
      expect(text).toContain('xdr_gateway_upstream_requests_total{route="batchUsers",status="503"} 2');
      expect(text).toContain('xdr_gateway_circuit_breaker_state{state="open"} 1');
      expect(text).toContain('xdr_gateway_circuit_breaker_state{state="closed"} 0');
    } finally {
      await fresh.close();
    }
  });
});

describe('cache hits and misses', () => {
  it('count every id the cross-request cache served or had to fetch', async () => {
    // The cache exists before the gateway whose metrics it feeds.
    const ref: { gateway?: TestGateway } = {};
    const cache = createUserCache({
      store: createMemoryStore({ ttlMs: 60_000, maxEntries: 1000 }),
      onLookup: (event) => ref.gateway?.metrics?.cache.lookup(event),
    });
    const cached = await startTestGateway({ observability: {}, cache: { cache, orgId: 'org-1' } });
    ref.gateway = cached;
    try {
      const query = `{ ${aliases(10)} }`;
      expect((await cached.post(query)).errors).toBeUndefined();
      expect((await cached.post(query)).errors).toBeUndefined();
      const text = await (await cached.fetch(`${cached.origin}/metrics`)).text();
      expect(text).toMatch(/^xdr_gateway_cache_misses_total 10$/m);
      expect(text).toMatch(/^xdr_gateway_cache_hits_total 10$/m);
      expect((await cached.emulator.stats()).calls.batchUsers).toBe(1);
    } finally {
      await cached.close();
      await cache.close();
    }
  });
});
