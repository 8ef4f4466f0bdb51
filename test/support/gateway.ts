import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Authenticate } from '../../src/auth/authenticate.js';
import type { CachingOptions } from '../../src/cache/caching-user-api.js';
import { createGatewayClient, type GatewayClient } from '../../src/client/gateway-client.js';
import { loadConfig, type Config, type ServerConfig } from '../../src/config.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { Metrics, MetricsOptions } from '../../src/observability/metrics.js';
import type { App, SecurityOptions } from '../../src/server/app.js';
import { createHttpServer, listen } from '../../src/server/http-server.js';
import type { Upstream, UpstreamOptions } from '../../src/upstream/create-upstream.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';

export interface TestGateway {
  emulator: TestEmulator;
  /** What createGateway made (config, resources, ...). */
  gateway: Gateway;
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
  /** The gateway's metrics (also served on /metrics). */
  metrics: Metrics;
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

/**
 * The settings of every test gateway, through loadConfig as `npm start` reads them, over `env`: an
 * upstream given by URL (Cisco mode: no CORS and no GraphiQL by default), AUTH_MODE=none, no cache.
 */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    AUTH_MODE: 'none',
    AUTH_ALLOW_NONE: 'true',
    GRAPHIQL: 'false',
    CACHE_ENABLED: 'false',
    ...env,
  });
}

/**
 * An emulator on loopback port 0, and a gateway over it made by createGateway and served by
 * createHttpServer on loopback port 0, as `npm start` makes and serves it.
 */
export async function startTestGateway(
  options: {
    emulator?: EmulatorOptions;
    clientId?: string;
    clientSecret?: string;
    maxUserIds?: number;
    /** The app's settings; the logger (default silent) is the whole gateway's. */
    app?: {
      logger?: Logger;
      security?: SecurityOptions;
      operationDeadlineMs?: number;
      graphiql?: boolean;
    };
    /** Caller authentication, built once the emulator and upstream exist (forward mode needs forCaller). */
    authenticate?: (wired: { emulator: TestEmulator; upstream: Upstream }) => Authenticate;
    /**
     * More upstream options. `resilience` is off unless given here, so that suites counting single
     * upstream calls stay exact; test/resilience turns it on with fast, injected timings. `baseUrl`
     * points the gateway at a stub server instead of the emulator; `events` are told every event
     * besides the gateway's metrics and readiness.
     */
    upstream?: Partial<Omit<UpstreamOptions, 'clientId' | 'clientSecret'>>;
    /**
     * Metrics options (default: no process metrics), readiness caching, and tracing into an SDK the
     * test has registered.
     */
    observability?: { metrics?: MetricsOptions; readinessCacheMs?: number; tracing?: boolean };
    /**
     * The cross-request cache (src/cache) in front of the upstream; off unless given, so that suites
     * counting upstream calls per operation keep their meaning. The caller closes it.
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
  const { app = {}, upstream = {}, observability } = options;
  const setting = (value: number | undefined) => (value === undefined ? undefined : String(value));
  const base = testConfig({
    XDR_BASE_URL: upstream.baseUrl ?? emulator.url,
    XDR_REGION: upstream.region,
    XDR_CLIENT_ID: options.clientId ?? 'client-demo-admin',
    XDR_CLIENT_SECRET: options.clientSecret ?? 'demo-admin-secret',
    UPSTREAM_TIMEOUT_MS: setting(upstream.timeoutMs ?? 5_000),
    UPSTREAM_MAX_BODY_BYTES: setting(upstream.maxBodyBytes),
    UPSTREAM_OPERATION_DEADLINE_MS: setting(app.operationDeadlineMs),
    USERS_MAX_IDS: setting(options.maxUserIds),
    READINESS_CACHE_MS: setting(observability?.readinessCacheMs),
    ...(app.graphiql ? { GRAPHIQL: 'true' } : {}),
  });
  // What no environment variable spells (a CORS policy object, partial limits) goes in as such.
  const config: Config = {
    ...base,
    security: {
      ...base.security,
      ...app.security,
      limits: { ...base.security.limits, ...app.security?.limits },
    },
    operations: { ...base.operations, tracing: observability?.tracing ?? false },
    server: { ...base.server, ...options.server },
  };
  const authenticate = options.authenticate;
  const gateway = await createGateway(config, {
    logger: app.logger ?? createLogger({ level: 'silent' }),
    ...(authenticate ? { authenticate: (wired) => authenticate({ emulator, ...wired }) } : {}),
    upstream: {
      resilience: upstream.resilience ?? false,
      ...(upstream.logger ? { logger: upstream.logger } : {}),
      ...(upstream.connections ? { connections: upstream.connections } : {}),
    },
    ...(upstream.events ? { events: upstream.events } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    // Process metrics only where a test asks for observability: each set runs an event-loop monitor.
    metrics: observability ? observability.metrics : { defaultMetrics: false },
    // The test registered its own SDK; the gateway only makes the spans.
    startTracing: async () => ({ shutdown: async () => {} }),
  });
  const server: Server = createHttpServer(gateway.app, config.server);
  await listen(server, 0, '127.0.0.1');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/graphql`;
  return {
    emulator,
    gateway,
    upstream: gateway.upstream,
    app: gateway.app,
    url,
    client: createGatewayClient(url),
    origin,
    server,
    metrics: gateway.metrics,
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
      await gateway.close();
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
