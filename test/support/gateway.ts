// Gateways for the tests, made by createGateway from loadConfig's settings as main.ts makes them, each
// over an emulator of its own. They answer in-process through gateway.fetch unless a test asks for a
// socket (`listen`), as the tests whose subject is HTTP itself do.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Authenticate } from '../../src/auth/authenticate.js';
import type { CachingOptions } from '../../src/cache/caching-user-api.js';
import { loadConfig, type Config, type ServerConfig } from '../../src/config.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { Metrics, MetricsOptions } from '../../src/observability/metrics.js';
import type { App, SecurityOptions } from '../../src/server/app.js';
import { createHttpServer, listen } from '../../src/server/http-server.js';
import type { Upstream, UpstreamOptions } from '../../src/upstream/create-upstream.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';
import {
  GRAPHQL_RESPONSE,
  postAs,
  postJson,
  type Fetch,
  type GraphQLAnswer,
  type GraphQLResponse,
} from './http.js';

export interface TestGateway {
  emulator: TestEmulator;
  /** What createGateway made (config, resources, ...). */
  gateway: Gateway;
  upstream: Upstream;
  app: App;
  /** The GraphQL endpoint: http://gateway.test/graphql in-process, http://127.0.0.1:<port>/graphql listening. */
  url: string;
  /** The endpoint's origin, for /healthz, /readyz and /metrics. */
  origin: string;
  /** A fetch that reaches this gateway: in-process through gateway.fetch, or over its socket. */
  fetch: Fetch;
  /** The gateway's metrics (also served on /metrics). */
  metrics: Metrics;
  /** Posts any document as a GraphQL client does; resolves to the parsed JSON response, errors included. */
  post(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse>;
  /** Status and parsed body of one GraphQL POST with `token` (if any) as the bearer. */
  postAs(token: string | undefined, query: string, variables?: unknown): Promise<GraphQLAnswer>;
  close(): Promise<void>;
}

/** A test gateway served by createHttpServer on a loopback port, as `npm start` serves it. */
export interface ListeningTestGateway extends TestGateway {
  /** The listening HTTP server, e.g. to count its connections. */
  server: Server;
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

/** What a test may set of a test gateway; the rest is testConfig's. */
export interface TestGatewayOptions {
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
   * upstream calls stay exact; resilient-gateway.ts turns it on with fast, injected timings.
   * `baseUrl` points the gateway at a stub server instead of the emulator; `events` are told every
   * event besides the gateway's metrics and readiness.
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
  /**
   * Serve on loopback port 0 through createHttpServer, as `npm start` does, for tests whose subject
   * is HTTP itself (sockets, connection limits, the operation gate, a router or audit that needs a
   * URL). Default: in-process, every request through gateway.fetch; no socket is opened.
   */
  listen?: boolean;
  /** More settings, spelt as the environment spells them (e.g. PERSISTED_OPERATIONS: 'only'). */
  env?: Record<string, string>;
}

/** Where an in-process gateway seems to be: no socket answers there. */
export const IN_PROCESS_ORIGIN = 'http://gateway.test';

/**
 * A fetch over `gateway` in-process: the Request global fetch would send (its default headers
 * included) goes to gateway.fetch. Yoga may answer synchronously; a fetch always returns a promise.
 */
export function fetchOf(gateway: Pick<Gateway, 'fetch'>): Fetch {
  return async (input, init) => gateway.fetch(new Request(input, init));
}

/**
 * An emulator on loopback port 0 (the upstream client is HTTP by design), and a gateway over it made
 * by createGateway, as `npm start` makes it; in-process unless `listen`.
 */
export async function startTestGateway(
  options: TestGatewayOptions & { listen: true },
): Promise<ListeningTestGateway>;
export async function startTestGateway(options?: TestGatewayOptions): Promise<TestGateway>;
export async function startTestGateway(
  options: TestGatewayOptions = {},
): Promise<TestGateway | ListeningTestGateway> {
  const emulator = await startTestEmulator(options.emulator);
  const { app = {}, upstream = {}, observability } = options;
  const setting = (value: number | undefined) => (value === undefined ? undefined : String(value));
  const base = testConfig({
    XDR_BASE_URL: upstream.baseUrl ?? emulator.url,
    XDR_REGION: upstream.region,
    XDR_CLIENT_ID: options.clientId ?? 'client-demo-admin',
    XDR_CLIENT_SECRET: options.clientSecret ?? 'demo-admin-secret',
    UPSTREAM_TIMEOUT_MS: setting(upstream.timeoutMs ?? 5_000),
    UPSTREAM_CONNECTIONS: setting(upstream.connections),
    UPSTREAM_MAX_BODY_BYTES: setting(upstream.maxBodyBytes),
    UPSTREAM_OPERATION_DEADLINE_MS: setting(app.operationDeadlineMs),
    USERS_MAX_IDS: setting(options.maxUserIds),
    READINESS_CACHE_MS: setting(observability?.readinessCacheMs),
    ...(app.graphiql ? { GRAPHIQL: 'true' } : {}),
    ...options.env,
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
      ...(upstream.now ? { now: upstream.now } : {}),
    },
    ...(upstream.events ? { events: upstream.events } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    // Process metrics only where a test asks for observability: each set runs an event-loop monitor.
    metrics: observability ? observability.metrics : { defaultMetrics: false },
    // The test registered its own SDK; the gateway only makes the spans.
    startTracing: async () => ({ shutdown: async () => {} }),
  });
  const server = options.listen ? createHttpServer(gateway.app, config.server) : undefined;
  if (server) await listen(server, 0, '127.0.0.1');
  const origin = server ? `http://127.0.0.1:${(server.address() as AddressInfo).port}` : IN_PROCESS_ORIGIN;
  const url = `${origin}/graphql`;
  const fetchFn: Fetch = server ? fetch : fetchOf(gateway);
  const running: TestGateway = {
    emulator,
    gateway,
    upstream: gateway.upstream,
    app: gateway.app,
    url,
    origin,
    fetch: fetchFn,
    metrics: gateway.metrics,
    async post(query, variables, headers = {}) {
      const response = await postJson(
        url,
        { query, variables },
        { ...GRAPHQL_RESPONSE, ...headers },
        fetchFn,
      );
      return (await response.json()) as GraphQLResponse;
    },
    postAs: (token, query, variables) => postAs(url, token, query, variables, fetchFn),
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await gateway.close();
      await emulator.close();
    },
  };
  return server ? { ...running, server } : running;
}
