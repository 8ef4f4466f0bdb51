// The operational face of the gateway, as one Yoga plugin: /healthz, /readyz and /metrics; the
// request id (echoed in `x-request-id` and stamped on every log line of the request); one log line,
// one counter and one histogram sample per GraphQL operation; and, with tracing on, a span per
// operation continuing the caller's `traceparent`.
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { healthReport, type ReadinessReport } from './health.js';
import type { Metrics, OperationOutcome } from './metrics.js';
import type * as tracingModule from './tracing.js';

/**
 * The span hooks of tracing.ts. gateway.ts loads that module (and @opentelemetry/api with it) only
 * when tracing is on, and hands its hooks over here.
 */
export type OperationTracing = Pick<
  typeof tracingModule,
  'withOperationSpan' | 'describeOperationSpan' | 'failOperationSpan'
>;

export interface ObservabilityOptions {
  logger: Logger;
  /** Serves GET /metrics and counts operations; absent: no /metrics. */
  metrics?: Metrics | undefined;
  /** Serves GET /readyz; absent: /readyz answers like /healthz. */
  readiness?: (() => Promise<ReadinessReport>) | undefined;
  /** A span per operation (gateway.ts gives it when the OTEL_* environment asks for traces). */
  tracing?: OperationTracing | undefined;
  graphqlEndpoint: string;
  /** The request's id (the server layer's, which the context and audit lines carry too). */
  requestIdOf: (request: Request) => string;
}

interface OperationState {
  started: number;
  name: string | undefined;
  type: string | undefined;
  executed: boolean;
  errored: boolean;
  processed: boolean;
}

export function useObservability(options: ObservabilityOptions): Plugin {
  const { logger, metrics, requestIdOf, tracing } = options;
  const states = new WeakMap<Request, OperationState>();

  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });

  const routes: Record<string, (() => Promise<Response>) | undefined> = {
    '/healthz': async () => json(healthReport()),
    '/readyz': async () => {
      if (!options.readiness) return json({ status: 'ready', checks: {} });
      const report = await options.readiness();
      return json(report, report.status === 'ready' ? 200 : 503);
    },
    '/metrics': metrics
      ? async () =>
          new Response(await metrics.render(), {
            headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
          })
      : undefined,
  };

  return {
    ...(tracing
      ? {
          instrumentation: {
            operation: ({ request }, wrapped) => tracing.withOperationSpan(request.headers, wrapped),
          },
        }
      : {}),
    async onRequest({ request, url, endResponse }) {
      const route = routes[url.pathname];
      if (route) {
        endResponse(
          request.method === 'GET' || request.method === 'HEAD'
            ? await route()
            : new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }),
        );
        return;
      }
      if (url.pathname === options.graphqlEndpoint) {
        states.set(request, {
          started: performance.now(),
          name: undefined,
          type: undefined,
          executed: false,
          errored: false,
          processed: false,
        });
      }
    },
    onParams({ params, request }) {
      const state = states.get(request);
      if (state && typeof params.operationName === 'string') state.name = params.operationName;
    },
    onValidate({ params, context }) {
      // Names operations that validation refuses, which never reach onExecute.
      const request = (context as { request?: Request }).request;
      const state = request && states.get(request);
      const operation = state && getOperationAST(params.documentAST, state.name);
      if (state && operation) {
        state.name = operation.name?.value;
        state.type = operation.operation;
      }
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const state = request && states.get(request);
      if (!state) return;
      const operation = getOperationAST(args.document, args.operationName);
      state.executed = true;
      state.name = operation?.name?.value;
      state.type = operation?.operation;
      tracing?.describeOperationSpan({
        name: state.name ?? 'anonymous',
        type: state.type,
        requestId: requestIdOf(request),
      });
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && (result.errors?.length ?? 0) > 0) {
            state.errored = true;
            tracing?.failOperationSpan();
          }
        },
      };
    },
    onResultProcess({ request }) {
      const state = states.get(request);
      if (state) state.processed = true;
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', requestIdOf(request));
      const state = states.get(request);
      // Only GraphQL results: the GraphiQL page is no operation.
      if (!state?.processed) return;
      const outcome: OperationOutcome = !state.executed ? 'rejected' : state.errored ? 'error' : 'success';
      const ms = performance.now() - state.started;
      metrics?.observeOperation(state.name, outcome, ms / 1000);
      logger.info(
        {
          event: 'graphql_operation',
          requestId: requestIdOf(request),
          // Client-chosen text: only a plain name reaches the log, like the metric label.
          operation: state.name && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(state.name) ? state.name : undefined,
          type: state.type,
          outcome,
          status: response.status,
          ms: Math.round(ms),
        },
        'graphql operation',
      );
    },
  };
}
