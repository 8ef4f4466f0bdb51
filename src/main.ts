// The only module with side effects: the environment → createGateway → listen → signals. What the
// gateway is made of is gateway.ts's business.
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';

async function main() {
  const config = loadConfig();
  // A misspelt setting is ignored outside production (it stops the start there): say so loudly.
  for (const warning of config.warnings) console.error(`Warning: ${warning}`);

  // The gateway's modules (about a second of loading) only once the settings are known to be good,
  // so that a bad one is reported at once.
  const [{ createGateway }, { createHttpServer, listen }, { createShutdown }] = await Promise.all([
    import('./gateway.js'),
    import('./server/http-server.js'),
    import('./server/shutdown.js'),
  ]);

  const gateway = await createGateway(config);
  const server = createHttpServer(gateway.app, config.server);
  await listen(server, config.port, config.host);
  // Before the listening line: whoever reads it may signal at once.
  const shutdown = createShutdown({
    server,
    timeoutMs: config.operations.shutdownTimeoutMs,
    logger: gateway.logger,
    abortUpstream: gateway.abortUpstream,
    resources: gateway.resources,
    exit: (code) => process.exit(code),
    announce: (signal) => console.log(`${signal}: shutting down`),
  });
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '127.0.0.1' ? 'localhost' : config.host;
  const { emulator } = gateway;
  if (emulator) {
    console.log(`XDR User API emulator: ${emulator.url} (stats: ${emulator.url}/__emulator/stats)`);
    console.log('Default mode: the gateway uses the emulator with the demo client client-demo-admin.');
  } else if (config.upstream.mode === 'cisco') {
    console.log(`Cisco mode: upstream ${new URL(config.upstream.baseUrl).origin}`);
  }
  console.log(`GraphQL gateway: http://${shownHost}:${port}/graphql`);
}

/** Failures we can name (bad settings, a busy port, the wrong org): their message says it all. */
async function isNamed(error: unknown): Promise<boolean> {
  if (error instanceof ConfigError) return true;
  // Loaded already when they are what failed: the import only fetches the module's classes. When
  // loading the gateway itself failed, so does this: then the failure is not one we can name.
  try {
    const [{ ListenError }, { GatewayOrgError }] = await Promise.all([
      import('./server/http-server.js'),
      import('./auth/gateway-org.js'),
    ]);
    return error instanceof ListenError || error instanceof GatewayOrgError;
  } catch {
    return false;
  }
}

main().catch(async (error: unknown) => {
  if (error instanceof Error && (await isNamed(error))) {
    console.error(error.message);
  } else {
    console.error('The gateway failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
