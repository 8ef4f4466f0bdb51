// The only module with side effects: configuration → (default mode) the emulator → the upstream
// client → createApp → listen → signals.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { createAuthenticator } from './auth/authenticate.js';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_CLIENTS } from './emulator/demo-clients.js';
import { exampleUserIds } from './emulator/seed.js';
import { createProcessLogger } from './logger.js';
import { createReadiness } from './observability/health.js';
import { combineEvents, createMetrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { startEmulator, type RunningEmulator } from './emulator/server.js';
import { createUpstream } from './upstream/create-upstream.js';
import { createCachingUserApi } from './cache/caching-user-api.js';
import { createCache } from './cache/create-cache.js';
import { UpstreamForbiddenError } from './upstream/errors.js';

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

  let emulator: RunningEmulator | undefined;
  let upstreamSettings;
  if (config.upstream.mode === 'emulator') {
    emulator = await startEmulator({ port: config.upstream.emulatorPort, testControls: true });
    const admin = DEMO_CLIENTS.find((c) => c.clientId === 'client-demo-admin');
    if (!admin) throw new Error('the emulator has no client-demo-admin');
    upstreamSettings = { baseUrl: emulator.url, clientId: admin.clientId, clientSecret: admin.clientSecret };
  } else {
    upstreamSettings = config.upstream;
  }

  const ops = config.operations;
  const logger = await createProcessLogger({
    level: ops.logLevel,
    pretty: process.stdout.isTTY === true && !config.production,
  });
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
  if (config.auth.mode === 'none') {
    logger.warn(
      { event: 'auth_mode_none', upstream: config.upstream.mode },
      'AUTH_MODE=none: every caller may read and change users with the gateway’s own credentials',
    );
  }
  // One cache per process over the service credentials' org, learnt once from whoami; a client
  // without the profile scope is keyed by its id (one client id is one org). Forward mode does not
  // use this api: each caller's client gets its own decorator over the same cache, keyed by the org
  // of the caller's verified token (the authenticator's cacheFor).
  const cache = config.cache
    ? createCache(config.cache, logger.child({ component: 'cache' }), metrics.cache.lookup)
    : undefined;
  const serviceOrgId = () =>
    upstream.api.whoami().then(
      (whoami) => whoami.org.id,
      (error: unknown) => {
        if (error instanceof UpstreamForbiddenError) return `client:${upstreamSettings.clientId}`;
        throw error;
      },
    );
  const api = cache ? createCachingUserApi(upstream.api, { cache, orgId: serviceOrgId }) : upstream.api;
  const app = createApp({
    api,
    maxUserIds: config.maxUserIds,
    operationDeadlineMs: resilience.operationDeadlineMs,
    graphiql: config.security.graphiql
      ? { examples: emulator ? exampleUserIds() : PLACEHOLDER_EXAMPLES }
      : false,
    authenticate: createAuthenticator(config.auth, {
      forCaller: upstream.forCaller,
      upstreamUrl: upstreamSettings.baseUrl,
      ...(cache ? { cacheFor: (callerApi, orgId) => createCachingUserApi(callerApi, { cache, orgId }) } : {}),
      logger,
    }),
    logger,
    observability: { metrics, readiness: readiness.check, tracing: ops.tracing },
    security: {
      limits: config.security.limits,
      maxBodyBytes: config.security.maxBodyBytes,
      introspection: config.security.introspection,
    },
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '127.0.0.1' ? 'localhost' : config.host;

  if (emulator) {
    console.log(`XDR User API emulator: ${emulator.url} (stats: ${emulator.url}/__emulator/stats)`);
    console.log('Default mode: the gateway uses the emulator with the demo client client-demo-admin.');
  } else {
    console.log(`Cisco mode: upstream ${new URL(upstreamSettings.baseUrl).origin}`);
  }
  console.log(`GraphQL gateway: http://${shownHost}:${port}/graphql`);

  // Graceful shutdown: stop accepting, let in-flight requests finish (up to SHUTDOWN_TIMEOUT_MS),
  // then close the upstream pool, the embedded emulator and the span exporter, and exit 0.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      // A second signal (Ctrl-C twice): stop waiting for in-flight requests.
      server.closeAllConnections();
      return;
    }
    closing = true;
    console.log(`${signal}: shutting down`);
    logger.info({ event: 'shutdown', signal, timeoutMs: ops.shutdownTimeoutMs }, 'shutting down');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets with no request in flight would otherwise hold the server open.
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ops.shutdownTimeoutMs);
    });
    if ((await Promise.race([closed, deadline])) === 'timeout') {
      logger.warn({ event: 'shutdown_timeout' }, 'in-flight requests cut at the shutdown deadline');
      server.closeAllConnections();
      await closed;
    }
    clearInterval(idleSweep);
    clearTimeout(timer);
    await upstream.close();
    await cache?.close();
    await emulator?.close();
    await tracing?.shutdown().catch(() => {});
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Cisco mode has no seed to take example ids from; the tabs still show the operations. */
const PLACEHOLDER_EXAMPLES = {
  userId: 'idb-amp:00000000-0000-0000-0000-000000000000',
  userIds: ['idb-amp:00000000-0000-0000-0000-000000000000'],
  updateUserId: 'idb-amp:00000000-0000-0000-0000-000000000000',
};

main().catch((error: unknown) => {
  console.error('The gateway failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
