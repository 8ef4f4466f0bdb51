import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCachingUserApi, type CachingOptions } from '../../src/cache/caching-user-api.js';
import { createApp, type App, type AppDeps } from '../../src/app.js';
import type { Authenticate } from '../../src/auth/authenticate.js';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { createGatewayClient, type GatewayClient } from '../../src/client/gateway-client.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { createReadiness } from '../../src/observability/health.js';
import {
  combineEvents,
  createMetrics,
  type Metrics,
  type MetricsOptions,
} from '../../src/observability/metrics.js';
import { createHttpServer, listen } from '../../src/server/http-server.js';
import { createUpstream, type Upstream, type UpstreamOptions } from '../../src/upstream/create-upstream.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';

export interface TestGateway {
  emulator: TestEmulator;
  upstream: Upstream;
  app: App;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** The typed client over real HTTP. */
  client: GatewayClient;
  /** http://127.0.0.1:<port>, for /healthz, /readyz and /metrics. */
  origin: string;
  /** The listening HTTP server (createHttpServer), e.g. to count its connections. */
  server: Server;
  /** With `observability`: the gateway's metrics (also served on /metrics). */
  metrics: Metrics | undefined;
  /** Posts any document; resolves to the parsed JSON response, errors included. */
  post(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The emulator and the gateway on loopback port 0, wired like `npm start` in default mode. */
export async function startTestGateway(
  options: {
    emulator?: EmulatorOptions;
    clientId?: string;
    clientSecret?: string;
    maxUserIds?: number;
    /** More createApp deps (security, logger, ...). */
    app?: Omit<Partial<AppDeps>, 'api' | 'authenticate'>;
    /** Caller authentication, built once the emulator and upstream exist (forward mode needs forCaller). */
    authenticate?: (wired: { emulator: TestEmulator; upstream: Upstream }) => Authenticate;
    /**
     * More createUpstream options. `resilience` is off unless given here, so that suites counting
     * single upstream calls stay exact; test/resilience turns it on with fast, injected timings.
     * `baseUrl` points the gateway at a stub server instead of the emulator.
     */
    upstream?: Partial<Omit<UpstreamOptions, 'clientId' | 'clientSecret'>>;
    /**
     * Wires metrics (/metrics, upstream events) and readiness (/readyz) like main.ts. Upstream
     * `events` given in `upstream` still receive every event.
     */
    observability?: { metrics?: MetricsOptions; readinessCacheMs?: number; tracing?: boolean };
    /**
     * The cross-request cache (src/cache) in front of the upstream, like main.ts; off unless given, so
     * that suites counting upstream calls per operation keep their meaning. The caller closes it.
     */
    cache?: CachingOptions;
    /**
     * The HTTP server's timeouts, connection cap and operation gate (src/server/http-server.ts);
     * defaults: the gateway's (loadConfig's), as `npm start` runs it.
     */
    server?: Partial<ServerConfig>;
  } = {},
): Promise<TestGateway> {
  const emulator = await startTestEmulator(options.emulator);
  const observed = options.observability;
  const metrics = observed ? createMetrics(observed.metrics) : undefined;
  const readiness = observed
    ? createReadiness({ cacheMs: observed.readinessCacheMs, probe: () => upstream })
    : undefined;
  const upstream = createUpstream({
    baseUrl: emulator.url,
    clientId: options.clientId ?? 'client-demo-admin',
    clientSecret: options.clientSecret ?? 'demo-admin-secret',
    timeoutMs: 5_000,
    resilience: false,
    ...options.upstream,
    ...(metrics && readiness
      ? {
          events: combineEvents(
            metrics.events,
            readiness.events,
            ...(options.upstream?.events ? [options.upstream.events] : []),
          ),
        }
      : {}),
  });
  const app = createApp({
    api: options.cache ? createCachingUserApi(upstream.api, options.cache) : upstream.api,
    maxUserIds: options.maxUserIds ?? 500,
    graphiql: false,
    ...options.app,
    ...(metrics && readiness
      ? { observability: { metrics, readiness: readiness.check, tracing: observed?.tracing ?? false } }
      : {}),
    ...(options.authenticate ? { authenticate: options.authenticate({ emulator, upstream }) } : {}),
  });
  const server: Server = createHttpServer(app, { ...loadConfig({}).server, ...options.server });
  await listen(server, 0, '127.0.0.1');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/graphql`;
  return {
    emulator,
    upstream,
    app,
    url,
    client: createGatewayClient(url),
    origin,
    server,
    metrics,
    async post(query, variables, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
      await emulator.close();
    },
  };
}

/** Status and parsed body of one GraphQL POST to `url`, with `token` (if any) as the bearer. */
export async function postAs(
  url: string,
  token: string | undefined,
  query: string,
  variables: unknown = {},
): Promise<{ status: number; body: GraphQLResponse }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}
