// The emulator in its own process for the benchmark: test controls on (latency, stats), a quota no
// benchmark can reach, long-lived tokens. Prints {"url": ...} on its first stdout line.
import { startEmulator } from '../src/emulator/server.js';

const emulator = await startEmulator({
  port: 0,
  testControls: true,
  rateLimit: { quota: 1_000_000_000, windowMs: 3_600_000 },
  tokenLifetimeSec: 86_400,
});
console.log(JSON.stringify({ url: emulator.url }));
process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
