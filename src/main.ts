// The only module with side effects: configuration → (default mode) the emulator → the upstream
// client → createApp → listen → signals.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_CLIENTS } from './emulator/demo-clients.js';
import { exampleUserIds } from './emulator/seed.js';
import { startEmulator, type RunningEmulator } from './emulator/server.js';
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

  const upstream = createUpstream({ ...upstreamSettings, timeoutMs: config.upstreamTimeoutMs });
  const app = createApp({
    api: upstream.api,
    maxUserIds: config.maxUserIds,
    graphiql: { examples: emulator ? exampleUserIds() : PLACEHOLDER_EXAMPLES },
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

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: shutting down`);
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await upstream.close();
    await emulator?.close();
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
