// The composition root: every part of the gateway is made here and nowhere else, from the settings
// alone. main.ts serves what this returns; test/support starts its gateways through it too.
import { createAuthenticator, type Authenticate, type Authenticated } from './auth/authenticate.js';
import { authorizedApi } from './auth/authorized-api.js';
import { cacheOrgKey, createGatewayOrg, GatewayOrgError, type GatewayOrg } from './auth/gateway-org.js';
import { createCachingUserApi, type CachingOptions } from './cache/caching-user-api.js';
import { createCache } from './cache/create-cache.js';
import type { UserCache } from './cache/user-cache.js';
import type { Config, ResilienceConfig } from './config.js';
import { DEMO_CLIENTS } from './emulator/demo-clients.js';
import { exampleUserIds } from './emulator/seed.js';
import { startEmulator, type RunningEmulator } from './emulator/server.js';
import { createProcessLogger, type Logger } from './logger.js';
import { createReadiness } from './observability/health.js';
import { combineEvents, createMetrics, type Metrics, type MetricsOptions } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import { createApp, type App } from './server/app.js';
import { listenFailure, ListenError } from './server/http-server.js';
import { persistedSettings } from './server/persisted-operations.js';
import { createUpstream, type Upstream, type UpstreamOptions } from './upstream/create-upstream.js';
import type { UpstreamEvents } from './upstream/events.js';
import type { UserApi } from './upstream/user-api.js';

/** Test seams, all optional; each replaces one thing the gateway would otherwise make from `config`. */
export interface GatewayDeps {
  /** Instead of the process logger (LOG_LEVEL; pretty on a terminal): tests read the lines. */
  logger?: Logger;
  /** Instead of the authenticator of config.auth; given the upstream (forward mode needs forCaller). */
  authenticate?: (wired: { upstream: Upstream }) => Authenticate;
  /** Over the upstream options taken from config: e.g. resilience off, or with injected clocks. */
  upstream?: Partial<Pick<UpstreamOptions, 'resilience' | 'logger' | 'now'>>;
  /** Told every upstream event as well as metrics, readiness and tracing are. */
  events?: UpstreamEvents;
  /**
   * Instead of createCache(config.cache): a cache the caller made (and closes). `orgId`, if given,
   * keys the entries of the gateway's own credentials instead of the gateway's organisation.
   */
  cache?: CachingOptions;
  /** createMetrics' options (tests leave out the process metrics). */
  metrics?: MetricsOptions;
  /** Starts the OpenTelemetry SDK when config asks for tracing; tests that registered one pass a no-op. */
  startTracing?: (options: { serviceName: string }) => Promise<Tracing>;
}

/** Something that ends with the gateway, after the HTTP server (see createShutdown). */
export interface Resource {
  name: string;
  close(): Promise<unknown>;
}

export interface Gateway {
  app: App;
  /** The whole gateway in-process, without a socket. */
  fetch: App['fetch'];
  config: Config;
  logger: Logger;
  upstream: Upstream;
  /** Default mode: the embedded emulator, the upstream's URL. */
  emulator: RunningEmulator | undefined;
  metrics: Metrics;
  /** What the gateway made and must close (cache, emulator, span exporter), in that order. */
  resources: Resource[];
  /** Ends every upstream call in flight at once (shutdown past its deadline). */
  abortUpstream(): Promise<void>;
  /** Closes the upstream's connections, letting calls in flight finish, then every resource. */
  close(): Promise<void>;
}

/**
 * Builds the gateway of `config`: (default mode) the embedded emulator, the upstream client with
 * resilience, the gateway's organisation (settled before serving in jwt mode), the cache, the
 * authenticator, the UserApi stack of every request, metrics, readiness, tracing and the Yoga app.
 * Rejects with a ListenError when EMULATOR_PORT is taken and a GatewayOrgError when the gateway's
 * organisation contradicts AUTH_ORG_ID; nothing it made is left open then.
 */
export async function createGateway(config: Config, deps: GatewayDeps = {}): Promise<Gateway> {
  const ops = config.operations;
  const logger =
    deps.logger ??
    (await createProcessLogger({
      level: ops.logLevel,
      pretty: process.stdout.isTTY === true && !config.production,
    }));
  warnAboutSettings(config, logger, { authOverridden: deps.authenticate !== undefined });

  const made: { cache?: Resource; emulator?: Resource; tracing?: Resource } = {};
  const resources = () => [made.cache, made.emulator, made.tracing].filter((r) => r !== undefined);
  let upstream: Upstream | undefined;
  try {
    const emulator =
      config.upstream.mode === 'emulator'
        ? await startEmbeddedEmulator(config.upstream.emulatorPort)
        : undefined;
    if (emulator) made.emulator = { name: 'emulator', close: () => emulator.close() };
    const target = upstreamTarget(config, emulator);

    // Tracing's module, and @opentelemetry/api with it, only when tracing is on.
    const tracingHooks = ops.tracing ? await import('./observability/tracing.js') : undefined;
    if (tracingHooks) {
      const tracing = await (deps.startTracing ?? tracingHooks.startTracing)({
        serviceName: ops.serviceName,
      });
      made.tracing = { name: 'tracing', close: () => tracing.shutdown() };
    }
    const metrics = createMetrics(deps.metrics);
    const readiness = createReadiness({ cacheMs: ops.readinessCacheMs, probe: () => wired });
    const wired = createUpstream({
      ...target,
      logger: logger.child({ component: 'upstream' }),
      timeoutMs: config.upstreamTimeoutMs,
      connections: config.upstreamConnections,
      maxBodyBytes: config.resilience.maxBodyBytes,
      resilience: resilienceOf(config.resilience),
      ...deps.upstream,
      events: combineEvents(
        metrics.events,
        readiness.events,
        ...(tracingHooks ? [tracingHooks.TRACING_EVENTS] : []),
        ...(deps.events ? [deps.events] : []),
      ),
    });
    upstream = wired;

    const gatewayOrg = createGatewayOrg({
      api: wired.api,
      pinned: config.auth.mode === 'jwt' ? config.auth.orgId : undefined,
      deadlineMs: config.resilience.operationDeadlineMs,
      logger,
    });
    if (config.auth.mode === 'jwt') await settleGatewayOrg(gatewayOrg, logger);

    const cache =
      deps.cache?.cache ??
      (config.cache
        ? await createCache(config.cache, logger.child({ component: 'cache' }), metrics.cache.lookup)
        : undefined);
    if (cache && !deps.cache) made.cache = { name: 'cache', close: () => cache.close() };

    const authenticate = deps.authenticate
      ? deps.authenticate({ upstream: wired })
      : createAuthenticator(config.auth, {
          forCaller: wired.forCaller,
          upstreamUrl: target.baseUrl,
          gatewayOrgId: () => gatewayOrg.id(),
          logger,
        });
    const { security } = config;
    const app = createApp({
      apiFor: createUserApiStack({
        service: wired.api,
        cache,
        serviceOrgId: deps.cache?.orgId ?? cacheOrgKey(gatewayOrg, target.clientId),
      }),
      authenticate,
      maxUserIds: config.maxUserIds,
      operationDeadlineMs: config.resilience.operationDeadlineMs,
      graphiql: security.graphiql ? { examples: emulator ? exampleUserIds() : PLACEHOLDER_EXAMPLES } : false,
      logger,
      observability: { metrics, readiness: readiness.check, tracing: tracingHooks },
      execution: {
        maxConcurrentIds: config.server.maxConcurrentIds,
        queueTimeoutMs: config.server.queueTimeoutMs,
      },
      compression: config.server.compression,
      persisted: persistedSettings(security.persisted, config.cache?.ttlMs),
      security: {
        limits: security.limits,
        maxBodyBytes: security.maxBodyBytes,
        introspection: security.introspection,
        cors: security.cors,
        federationSdl: security.federationSdl,
      },
    });

    return {
      app,
      fetch: app.fetch,
      config,
      logger,
      upstream: wired,
      emulator,
      metrics,
      resources: resources(),
      abortUpstream: () => wired.destroy(),
      async close() {
        await wired.close();
        for (const resource of resources()) await resource.close();
      },
    };
  } catch (error) {
    // The start failed: what was made is let go, and the failure is what the caller hears of.
    await upstream?.close().catch(() => {});
    for (const resource of resources()) await resource.close().catch(() => {});
    throw error;
  }
}

/**
 * The UserApi of one authenticated request, decided here and nowhere else, in this order: the
 * upstream client (the gateway's own credentials, or in forward mode the caller's own token) → the
 * shared cache, keyed by the organisation those credentials belong to → the caller's scope check, so
 * that nothing is served, from the cache or upstream, to a caller who may not read it.
 */
export function createUserApiStack(options: {
  /** The upstream client with the gateway's own credentials. */
  service: UserApi;
  /** The process's cache; absent: none. */
  cache?: UserCache | undefined;
  /** The organisation of the gateway's credentials, for the cache's keys; default: whoami's. */
  serviceOrgId?: CachingOptions['orgId'];
}): (authenticated: Authenticated) => UserApi {
  const { cache } = options;
  const cached = (client: UserApi, orgId: CachingOptions['orgId']) =>
    cache ? createCachingUserApi(client, { cache, orgId }) : client;
  // One decorator for the process: every caller served with the gateway's credentials shares it.
  const service = cached(options.service, options.serviceOrgId);
  // A forward-mode caller's org is the one its verified token names.
  return ({ caller, client }) => authorizedApi(client ? cached(client, caller.orgId) : service, caller);
}

/** Where the upstream is, and the gateway's own credentials there. */
function upstreamTarget(
  config: Config,
  emulator: RunningEmulator | undefined,
): { baseUrl: string; clientId: string; clientSecret: string } {
  if (config.upstream.mode === 'cisco') {
    const { baseUrl, clientId, clientSecret } = config.upstream;
    return { baseUrl, clientId, clientSecret };
  }
  const admin = DEMO_CLIENTS.find((c) => c.clientId === 'client-demo-admin');
  if (!emulator || !admin) throw new Error('the embedded emulator has no client-demo-admin');
  return { baseUrl: emulator.url, clientId: admin.clientId, clientSecret: admin.clientSecret };
}

function resilienceOf(settings: ResilienceConfig): UpstreamOptions['resilience'] {
  return {
    retry: {
      maxAttempts: settings.retryMaxAttempts,
      baseDelayMs: settings.retryBaseDelayMs,
      maxRetryAfterSec: settings.maxRetryAfterSec,
      budgetRatio: settings.retryBudgetPercent / 100,
    },
    breaker: { failureThreshold: settings.breakerFailures, cooldownMs: settings.breakerCooldownMs },
  };
}

/** What an operator must not miss in the settings; main.ts repeats the unknown ones on stderr. */
function warnAboutSettings(config: Config, logger: Logger, options: { authOverridden: boolean }): void {
  // A misspelt setting is ignored outside production (it stops the start there).
  for (const warning of config.warnings) logger.warn({ event: 'unknown_setting' }, warning);
  const { auth } = config;
  if (options.authOverridden) return;
  if (auth.mode === 'none') {
    logger.warn(
      { event: 'auth_mode_none', upstream: config.upstream.mode },
      'AUTH_MODE=none: every caller may read and change users with the gateway’s own credentials',
    );
  }
  if (auth.mode === 'jwt' && auth.orgClaim === null) {
    logger.warn(
      { event: 'auth_single_tenant' },
      'AUTH_ORG_CLAIM=none: the issuer is trusted as single-tenant; every verified caller is bound to the gateway’s organisation',
    );
  }
}

/**
 * jwt mode: the gateway's organisation is learnt before serving, since a gateway bound to the wrong
 * org must never serve. An upstream that cannot be reached now is asked again by the first request.
 */
async function settleGatewayOrg(org: GatewayOrg, logger: Logger): Promise<void> {
  try {
    logger.info({ event: 'gateway_org', orgId: await org.id() }, 'callers are bound to this org');
  } catch (error) {
    if (error instanceof GatewayOrgError) throw error;
    logger.warn(
      { event: 'gateway_org_pending', kind: error instanceof Error ? error.name : 'unknown' },
      'the gateway’s organisation could not be learnt at start; callers get 503 until it is',
    );
  }
}

/** Default mode's upstream; a busy EMULATOR_PORT is one line like a busy PORT. */
function startEmbeddedEmulator(port: number): Promise<RunningEmulator> {
  return startEmulator({ port, testControls: true }).catch((error: NodeJS.ErrnoException) => {
    throw new ListenError(
      listenFailure(port, '127.0.0.1', error.code, { port: 'EMULATOR_PORT', host: 'host' }),
    );
  });
}

/** Cisco mode has no seed to take example ids from; the tabs still show the operations. */
const PLACEHOLDER_EXAMPLES = {
  userId: 'idb-amp:00000000-0000-0000-0000-000000000000',
  userIds: ['idb-amp:00000000-0000-0000-0000-000000000000'],
  updateUserId: 'idb-amp:00000000-0000-0000-0000-000000000000',
};
