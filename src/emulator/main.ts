// `npm run emulator`: the emulator on its own, in dev mode (test controls on). The only emulator file
// that reads the environment or has side effects.
import { DEMO_CLIENTS } from './demo-clients.js';
import { startEmulator } from './server.js';

function readInt(name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

async function main() {
  const problems: string[] = [];
  const port = readInt('EMULATOR_PORT', 4001, 0, 65535, problems);
  const tokenLifetimeSec = readInt('EMULATOR_TOKEN_LIFETIME_SEC', 600, 1, 86_400, problems);
  const quota = readInt('EMULATOR_RATE_LIMIT', 8000, 1, 1_000_000_000, problems);
  const windowSec = readInt('EMULATOR_RATE_WINDOW_SEC', 3600, 1, 86_400 * 365, problems);
  if (problems.length > 0) {
    console.error(`Invalid emulator configuration:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }

  const emulator = await startEmulator({
    port,
    tokenLifetimeSec,
    rateLimit: { quota, windowMs: windowSec * 1000 },
    testControls: true,
  });

  console.log(`XDR User API emulator listening on ${emulator.url}`);
  console.log(`Rate limit: ${quota} calls per ${windowSec} s per org; tokens live ${tokenLifetimeSec} s.`);
  console.log('Demo API clients:');
  for (const client of DEMO_CLIENTS) {
    console.log(
      `  ${client.clientId} / ${client.clientSecret}  scopes "${client.scopes.join(' ')}"  (${client.description})`,
    );
  }
  console.log('Try:');
  console.log(
    `  TOKEN=$(curl -s -u client-demo-admin:demo-admin-secret -d grant_type=client_credentials ${emulator.url}/iroh/oauth2/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
  );
  console.log(`  curl -s -H "Authorization: Bearer $TOKEN" ${emulator.url}/iroh/profile/whoami`);
  console.log(`Test controls: ${emulator.url}/__emulator/stats`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await emulator.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('The emulator failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
