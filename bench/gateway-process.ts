// The gateway in its own process for the benchmark, wired like src/main.ts in default mode (resilience
// defaults, the cache unless --no-cache) against the emulator URL given as the first argument.
// Prints {"url": ...} on its first stdout line.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { createCachingUserApi } from '../src/cache/caching-user-api.js';
import { createCache } from '../src/cache/create-cache.js';
import { createLogger } from '../src/logger.js';
import { createUpstream } from '../src/upstream/create-upstream.js';

const [upstreamUrl, ...flags] = process.argv.slice(2);
if (!upstreamUrl) throw new Error('usage: gateway-process.ts <emulator url> [--no-cache]');
const upstream = createUpstream({
  baseUrl: upstreamUrl,
  clientId: 'client-demo-admin',
  clientSecret: 'demo-admin-secret',
});
const logger = createLogger({ level: 'warn' });
const cache = flags.includes('--no-cache')
  ? undefined
  : createCache(
      // The defaults of src/config.ts; no quota guard: the bench's emulator has an unreachable quota.
      { ttlMs: 30_000, maxEntries: 50_000, coalesceWindowMs: 1, quotaPerHour: 0, quotaGuardRatio: 0.95 },
      logger,
    );
const app = createApp({
  api: cache ? createCachingUserApi(upstream.api, { cache }) : upstream.api,
  graphiql: false,
});
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` }));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void upstream.close().then(() => process.exit(0)));
});
