import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import { TRACING_EVENTS } from '../../src/observability/tracing.js';
import { UpstreamHttp } from '../../src/upstream/http.js';
import { startTestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';

/** A bare upstream that records the headers of every request. */
async function recordingUpstream(): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const send = (http: UpstreamHttp) =>
  http.send({ route: 'whoami', method: 'GET', path: '/iroh/profile/whoami', timeoutMs: 5_000 });

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

describe('tracing off (no SDK registered)', () => {
  it('sends no traceparent upstream', async () => {
    const upstream = await recordingUpstream();
    const http = new UpstreamHttp({ baseUrl: upstream.url });
    try {
      await send(http);
      expect(upstream.seen[0]?.['traceparent']).toBeUndefined();
    } finally {
      await http.close();
      upstream.server.close();
    }
  });
});

describe('tracing on', () => {
  const exporter = new node.InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({ spanProcessors: [new node.SimpleSpanProcessor(exporter)] });
  beforeAll(() => provider.register());
  // The worker's later files run in this same process: its OpenTelemetry globals go back to no-ops.
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());

  it('propagates the active span to the upstream as a W3C traceparent of the upstream span', async () => {
    const upstream = await recordingUpstream();
    // Tracing reaches the transport through its UpstreamEvents, as the gateway wires it.
    const http = new UpstreamHttp({ baseUrl: upstream.url, events: TRACING_EVENTS });
    try {
      const parent = trace.getTracer('test').startSpan('parent');
      await context.with(trace.setSpan(context.active(), parent), () => send(http));
      parent.end();
      const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'upstream whoami');
      expect(span?.attributes).toEqual(
        expect.objectContaining({ 'xdr.upstream.route': 'whoami', 'http.response.status_code': 200 }),
      );
      expect(span?.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(upstream.seen[0]?.['traceparent']).toBe(
        `00-${parent.spanContext().traceId}-${span?.spanContext().spanId}-01`,
      );
    } finally {
      await http.close();
      upstream.server.close();
    }
  });

  it('makes a span per operation, child of the caller traceparent, with the upstream calls below it', async () => {
    const gw = await startTestGateway({
      observability: { metrics: { defaultMetrics: false }, tracing: true },
    });
    try {
      const ids = (await restSearch(gw.emulator, 'client-demo-admin', { limit: 3 })).map((u) =>
        String(u['user-id']),
      );
      const res = await gw.post(
        `query Three { ${ids.map((id, i) => `u${i}: user(id: "${id}") { id }`).join(' ')} }`,
        {},
        { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, 'x-request-id': 'trace-test' },
      );
      expect(res.errors).toBeUndefined();
      const spans = exporter.getFinishedSpans();
      const operation = spans.find((s) => s.name === 'graphql.query Three');
      expect(operation?.spanContext().traceId).toBe(CALLER_TRACE);
      expect(operation?.parentSpanContext?.spanId).toBe(CALLER_SPAN);
      expect(operation?.attributes).toEqual({
        'graphql.operation.name': 'Three',
        'graphql.operation.type': 'query',
        'xdr.request_id': 'trace-test',
      });
      const batch = spans.filter((s) => s.name === 'upstream batchUsers');
      expect(batch).toHaveLength(1);
      expect(batch[0]?.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId);
      expect(batch[0]?.attributes).toEqual({
        'xdr.upstream.route': 'batchUsers',
        'http.request.method': 'GET',
        'xdr.upstream.attempt': 1,
        'xdr.upstream.batch_size': 3,
        'http.response.status_code': 200,
      });
    } finally {
      await gw.close();
    }
  });
});
