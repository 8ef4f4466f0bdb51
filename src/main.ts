// The only module with side effects: configuration → (default mode) the emulator → the upstream
// client → the gateway's org → createApp → listen → signals.
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { createAuthenticator } from './auth/authenticate.js';
import { cacheOrgKey, createGatewayOrg, GatewayOrgError } from './auth/gateway-org.js';
import { createCachingUserApi } from './cache/caching-user-api.js';
import { createCache } from './cache/create-cache.js';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_CLIENTS } from './emulator/demo-clients.js';
import { exampleUserIds } from './emulator/seed.js';
import { startEmulator, type RunningEmulator } from './emulator/server.js';
import { createProcessLogger } from './logger.js';
import { createReadiness } from './observability/health.js';
import { combineEvents, createMetrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { createHttpServer, listen, listenFailure, ListenError } from './server/http-server.js';
import { createShutdown } from './server/shutdown.js';
import { createUpstream } from './upstream/create-upstream.js';

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const ops = config.operations;
  const logger = await createProcessLogger({
    level: ops.logLevel,
    pretty: process.stdout.isTTY === true && !config.production,
  });
  // A misspelt setting is ignored outside production (it stops the start there): say so loudly.
  for (const warning of config.warnings) {
    console.error(`Warning: ${warning}`);
    logger.warn({ event: 'unknown_setting' }, warning);
  }

  let emulator: RunningEmulator | undefined;
  let upstreamSettings: { baseUrl: string; clientId: string; clientSecret: string };
  if (config.upstream.mode === 'emulator') {
    emulator = await startEmbeddedEmulator(config.upstream.emulatorPort);
    const admin = DEMO_CLIENTS.find((c) => c.clientId === 'client-demo-admin');
    if (!admin) throw new Error('the emulator has no client-demo-admin');
    upstreamSettings = { baseUrl: emulator.url, clientId: admin.clientId, clientSecret: admin.clientSecret };
  } else {
    upstreamSettings = config.upstream;
  }
  const embedded = emulator;

  const tracing = ops.tracing ? await startTracing({ serviceName: ops.serviceName }) : undefined;
  const metrics = createMetrics();
  const readiness = createReadiness({ cacheMs: ops.readinessCacheMs, probe: () => upstream });

  const { resilience } = config;
  const upstream = createUpstream({
    logger: logger.child({ component: 'upstream' }),
    events: combineEvents(metrics.events, readiness.events),
    ...upstreamSettings,
    timeoutMs: config.upstreamTimeoutMs,
    maxBodyBytes: resilience.maxBodyBytes,
    resilience: {
      retry: {
        maxAttempts: resilience.retryMaxAttempts,
        baseDelayMs: resilience.retryBaseDelayMs,
        maxRetryAfterSec: resilience.maxRetryAfterSec,
        budgetRatio: resilience.retryBudgetPercent / 100,
      },
      breaker: { failureThreshold: resilience.breakerFailures, cooldownMs: resilience.breakerCooldownMs },
    },
  });
  const { auth } = config;
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
  const gatewayOrg = createGatewayOrg({
    api: upstream.api,
    pinned: auth.mode === 'jwt' ? auth.orgId : undefined,
    deadlineMs: resilience.operationDeadlineMs,
    logger,
  });
  if (auth.mode === 'jwt') {
    // Learnt before listening: a gateway bound to the wrong org must never serve. An upstream that
    // cannot be reached now is asked again by the first request.
    try {
      logger.info({ event: 'gateway_org', orgId: await gatewayOrg.id() }, 'callers are bound to this org');
    } catch (error) {
      if (error instanceof GatewayOrgError) throw error;
      logger.warn(
        { event: 'gateway_org_pending', kind: error instanceof Error ? error.name : 'unknown' },
        'the gateway’s organisation could not be learnt at start; callers get 503 until it is',
      );
    }
  }

  // One cache per process over the service credentials' org. Forward mode does not use this api:
  // each caller's client gets its own decorator over the same cache, keyed by the org of the
  // caller's verified token (the authenticator's cacheFor).
  const cache = config.cache
    ? createCache(config.cache, logger.child({ component: 'cache' }), metrics.cache.lookup)
    : undefined;
  const api = cache
    ? createCachingUserApi(upstream.api, { cache, orgId: cacheOrgKey(gatewayOrg, upstreamSettings.clientId) })
    : upstream.api;
  const app = createApp({
    api,
    maxUserIds: config.maxUserIds,
    operationDeadlineMs: resilience.operationDeadlineMs,
    graphiql: config.security.graphiql
      ? { examples: emulator ? exampleUserIds() : PLACEHOLDER_EXAMPLES }
      : false,
    authenticate: createAuthenticator(auth, {
      forCaller: upstream.forCaller,
      upstreamUrl: upstreamSettings.baseUrl,
      ...(cache ? { cacheFor: (callerApi, orgId) => createCachingUserApi(callerApi, { cache, orgId }) } : {}),
      gatewayOrgId: () => gatewayOrg.id(),
      logger,
    }),
    logger,
    observability: { metrics, readiness: readiness.check, tracing: ops.tracing },
    security: {
      limits: config.security.limits,
      maxBodyBytes: config.security.maxBodyBytes,
      introspection: config.security.introspection,
      cors: config.security.cors,
      federationSdl: config.security.federationSdl,
    },
  });
  const server = createHttpServer(app, config.server);
  await listen(server, config.port, config.host);
  // Before the listening line: whoever reads it may signal at once.
  const shutdown = createShutdown({
    server,
    timeoutMs: ops.shutdownTimeoutMs,
    logger,
    abortUpstream: () => upstream.destroy(),
    resources: [
      ...(cache ? [{ name: 'cache', close: () => cache.close() }] : []),
      ...(embedded ? [{ name: 'emulator', close: () => embedded.close() }] : []),
      ...(tracing ? [{ name: 'tracing', close: () => tracing.shutdown() }] : []),
    ],
    exit: (code) => process.exit(code),
    announce: (signal) => console.log(`${signal}: shutting down`),
  });
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '127.0.0.1' ? 'localhost' : config.host;

  if (emulator) {
    console.log(`XDR User API emulator: ${emulator.url} (stats: ${emulator.url}/__emulator/stats)`);
    console.log('Default mode: the gateway uses the emulator with the demo client client-demo-admin.');
  } else {
    console.log(`Cisco mode: upstream ${new URL(upstreamSettings.baseUrl).origin}`);
  }
  console.log(`GraphQL gateway: http://${shownHost}:${port}/graphql`);
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

main().catch((error: unknown) => {
  // Failures we can name (a busy port, the wrong org) are one line already; no stack either way.
  if (error instanceof ListenError || error instanceof GatewayOrgError) console.error(error.message);
  else console.error('The gateway failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
