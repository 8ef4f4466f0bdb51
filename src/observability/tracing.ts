// OpenTelemetry tracing: off unless the standard OTEL_* environment asks for an exporter (see
// config.ts). The code below only uses @opentelemetry/api, whose no-op implementations cost next to
// nothing while no SDK is registered; the SDK itself is loaded only when tracing is on.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Span,
} from '@opentelemetry/api';
import {
  NOOP_ATTEMPT,
  type AttemptObserver,
  type UpstreamAttempt,
  type UpstreamEvents,
} from '../upstream/events.js';

const tracer = trace.getTracer('xdr-user-gateway');

export interface Tracing {
  /** Flushes the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK, which reads its exporter, endpoint, headers, sampler, resource
 * and propagators from the standard OTEL_* variables. Only traces: the gateway's metrics are
 * Prometheus' (GET /metrics), and it emits no OpenTelemetry logs.
 */
export async function startTracing(options: { serviceName: string }): Promise<Tracing> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: options.serviceName, metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/**
 * Runs one GraphQL operation inside a server span whose parent is the caller's W3C `traceparent`
 * (when it sent one), so that upstream spans and the `traceparent` sent upstream hang below it.
 */
export function withOperationSpan<T>(headers: Headers, run: () => T | Promise<T>): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, headers, HEADERS_GETTER);
  return tracer.startActiveSpan('graphql.operation', { kind: SpanKind.SERVER }, parent, async (span) => {
    try {
      return await run();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Names the current operation span once the operation is known; a no-op without tracing. */
export function describeOperationSpan(attributes: {
  name: string;
  type: string | undefined;
  requestId: string;
}): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.updateName(`graphql.${attributes.type ?? 'operation'} ${attributes.name}`);
  span.setAttributes({
    'graphql.operation.name': attributes.name,
    ...(attributes.type ? { 'graphql.operation.type': attributes.type } : {}),
    'xdr.request_id': attributes.requestId,
  });
}

/** Marks the current operation span failed (the result carried errors). */
export function failOperationSpan(): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * The upstream layer's hook for tracing (UpstreamEvents.attempt): a client span for one upstream
 * HTTP attempt. When it records, `headers` gets the W3C `traceparent` (and `tracestate`) of this
 * span, so the User API's traces continue ours.
 */
export function startUpstreamSpan(
  request: UpstreamAttempt,
  headers: Record<string, string>,
): AttemptObserver {
  const span: Span = tracer.startSpan(`upstream ${request.route}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'xdr.upstream.route': request.route,
      'http.request.method': request.method,
      ...(request.attempt === undefined ? {} : { 'xdr.upstream.attempt': request.attempt }),
      ...(request.batchSize === undefined ? {} : { 'xdr.upstream.batch_size': request.batchSize }),
    },
  });
  if (!span.isRecording()) return NOOP_ATTEMPT;
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return {
    end(status) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    fail(kind) {
      span.setAttribute('error.type', kind);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** UpstreamEvents that trace every upstream attempt; combine them with the others when tracing is on. */
export const TRACING_EVENTS = {
  attempt: startUpstreamSpan,
  request() {},
  tokenFetch() {},
  retry() {},
  breakerState() {},
} satisfies UpstreamEvents;

const HEADERS_GETTER = {
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: Headers) => [...carrier.keys()],
};
