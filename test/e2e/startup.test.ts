// Issue 12: how the real process starts, or refuses to. Finding 4 (a production gateway silently ran
// the embedded emulator, and a misspelt setting was ignored without a word) and finding 9 (a busy
// PORT ended in an unhandled 'error' event and its stack trace).
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ORG_1_ID, ORG_2_ID } from '../../src/emulator/demo-clients.js';
import { SHORT_LIVED, builtMain } from '../support/built-gateway.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { emulatorJwtEnv } from '../support/auth.js';
import { REFUSED_PORT } from '../support/net.js';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment-free but for what node needs, so that no stray XDR_*, AUTH_*, ... setting leaks in. */
const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn' };

const GATEWAY_LINE = /GraphQL gateway: http:\/\/\S+\/graphql/;

let main: string;
beforeAll(async () => {
  main = await builtMain();
});

/**
 * Runs src/main.ts (transpiled) until it exits, or until it prints its listening line (then stops it with
 * SIGTERM and reports what it printed).
 */
function run(env: Record<string, string>): Promise<Outcome & { listened: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...SHORT_LIVED, main], {
      env: { ...BASE_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let listened = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!listened && GATEWAY_LINE.test(stdout)) {
        listened = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr, listened }));
  });
}

it('NODE_ENV=production without XDR_* settings exits 1, naming XDR_EMULATOR, and never listens', async () => {
  const outcome = await run({ NODE_ENV: 'production', PORT: '0', EMULATOR_PORT: '0' });
  expect(outcome).toMatchObject({ code: 1, listened: false });
  expect(outcome.stderr).toBe(
    'Invalid configuration:\n' +
      '  - NODE_ENV=production needs the Cisco settings (XDR_REGION or XDR_BASE_URL, XDR_CLIENT_ID, XDR_CLIENT_SECRET); to run the embedded emulator instead, set XDR_EMULATOR=true\n',
  );
  expect(outcome.stdout).not.toMatch(/emulator:/);
});

it('a misspelt setting stops a production start, naming it and the setting it resembles', async () => {
  const outcome = await run({ NODE_ENV: 'production', XDR_REGOIN: 'us', PORT: '0', EMULATOR_PORT: '0' });
  expect(outcome).toMatchObject({ code: 1, listened: false });
  expect(outcome.stderr).toContain(
    '  - XDR_REGOIN is not a setting of this gateway (did you mean XDR_REGION?)\n',
  );
});

it('outside production a misspelt setting is a loud warning on stderr and in the log', async () => {
  const outcome = await run({ AUTH_MODES: 'jwt', PORT: '0', EMULATOR_PORT: '0' });
  expect(outcome.listened).toBe(true);
  expect(outcome.stderr).toBe(
    'Warning: AUTH_MODES is not a setting of this gateway (did you mean AUTH_MODE?)\n',
  );
  const lines = outcome.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 40,
      event: 'unknown_setting',
      msg: 'AUTH_MODES is not a setting of this gateway (did you mean AUTH_MODE?)',
    }),
  );
});

describe('a port already in use', () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('PORT: one clean line naming HOST and PORT, exit 1', async () => {
    const outcome = await run({ HOST: '127.0.0.1', PORT: String(port), EMULATOR_PORT: '0' });
    expect(outcome).toMatchObject({ code: 1, listened: false });
    expect(outcome.stderr).toBe(
      `Cannot listen on HOST=127.0.0.1 PORT=${port}: the port is already in use (EADDRINUSE); set PORT to a free port or stop the process that holds it\n`,
    );
  });

  it('EMULATOR_PORT: one clean line naming EMULATOR_PORT, exit 1', async () => {
    const outcome = await run({ PORT: '0', EMULATOR_PORT: String(port) });
    expect(outcome).toMatchObject({ code: 1, listened: false });
    expect(outcome.stderr).toBe(
      `Cannot listen on host=127.0.0.1 EMULATOR_PORT=${port}: the port is already in use (EADDRINUSE); set EMULATOR_PORT to a free port or stop the process that holds it\n`,
    );
  });
});

// Deliverable 1: in jwt mode the gateway's org is settled before it listens.
describe('AUTH_MODE=jwt: the gateway’s organisation at start', () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  const jwtOver = (baseUrl: string, extra: Record<string, string> = {}) => ({
    PORT: '0',
    ...emulatorJwtEnv(emulator.url, { XDR_BASE_URL: baseUrl, ...extra }),
  });

  it('an AUTH_ORG_ID that whoami contradicts: one clean line naming AUTH_ORG_ID, exit 1', async () => {
    const outcome = await run(jwtOver(emulator.url, { AUTH_ORG_ID: ORG_2_ID }));
    expect(outcome).toMatchObject({ code: 1, listened: false });
    expect(outcome.stderr).toBe(
      `AUTH_ORG_ID=${ORG_2_ID} does not match the organisation of the gateway’s XDR credentials (${ORG_1_ID}): fix AUTH_ORG_ID or XDR_CLIENT_ID\n`,
    );
  });

  it('an upstream out of reach: a warning, and the gateway listens', async () => {
    const outcome = await run(
      jwtOver(`http://127.0.0.1:${REFUSED_PORT}`, { UPSTREAM_RETRY_MAX_ATTEMPTS: '1' }),
    );
    expect(outcome.listened).toBe(true);
    expect(outcome.stdout).toContain('"event":"gateway_org_pending"');
  });

  it('AUTH_ORG_CLAIM=none: the single-tenant trust is logged', async () => {
    const outcome = await run(jwtOver(emulator.url, { AUTH_ORG_CLAIM: 'none' }));
    expect(outcome.listened).toBe(true);
    expect(outcome.stdout).toContain('"event":"auth_single_tenant"');
  });
});
