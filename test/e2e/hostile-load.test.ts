// Issue 12, deliverable 4 and finding 2: under the shipped heap limit (start:prod's 128 MB), a
// read-only caller's concurrent operations at the per-operation budget's maximum leave the process
// alive with every answer data or a coded error, and the finding-2 attack (four ~95 KB requests of
// 150 aliases × 100 ids, which killed the process with "Reached heap limit") is refused with 400
// before execution. Before the change the attack ran (600 batch calls, 200 with data) and the
// process had no bound on executing operations.
import { spawn, type ChildProcess } from 'node:child_process';
import { ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { createSeedData } from '../../src/emulator/seed.js';
import { ERROR_CODES } from '../../src/errors.js';
import { builtMain, startProdFlags } from '../support/built-gateway.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { postAs } from '../support/http.js';

const TOKEN_HOST = 'https://visibility.amp.cisco.com';

/** Every field of User, nested ones included. */
const USER_FIELDS = `fragment F on User {
  id orgId email name nick role roleIds scopes additionalScopes piamCustomRoleId enabled
  createdAt updatedAt enabledAt activatedAt approvedAt blockedAt lastLoggedAt lastLoginAt
  idpMappings { idp userIdentityId organizationId ccoId enabled }
}`;

/** `aliases` aliased `users(ids: $vN)` fields, each selecting every User field. */
function usersOperation(aliases: number): string {
  const vars = Array.from({ length: aliases }, (_, n) => `$v${n}: [ID!]!`).join(', ');
  const fields = Array.from({ length: aliases }, (_, n) => `a${n}: users(ids: $v${n}) { ...F }`).join(' ');
  return `query Load(${vars}) { ${fields} }\n${USER_FIELDS}`;
}

let emulator: TestEmulator;
let child: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  // A gateway that died under the load says why (e.g. "Reached heap limit").
  if (child && (child.exitCode !== null || child.signalCode !== null)) {
    console.error(`the gateway died:\n${output.slice(-3000)}`);
  }
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  await emulator?.close();
});

/**
 * The gateway as start:prod runs it (compiled JavaScript, heap limit, one V8 worker), in Cisco mode
 * over the emulator.
 */
async function startGateway(): Promise<string> {
  const main = await builtMain();
  const flags = startProdFlags();
  expect(flags).toContain('--max-old-space-size=128');
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [...flags, main], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'warn',
        XDR_BASE_URL: emulator.url,
        XDR_CLIENT_ID: 'client-demo-admin',
        XDR_CLIENT_SECRET: 'demo-admin-secret',
        AUTH_MODE: 'jwt',
        AUTH_JWKS_URL: `${emulator.url}/.well-known/jwks`,
        AUTH_ISSUER: TOKEN_HOST,
        AUTH_AUDIENCE: TOKEN_HOST,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /GraphQL gateway: http:\/\/[^:]+:(\d+)\/graphql/.exec(output)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`the gateway exited (${code ?? signal}):\n${output.slice(-2000)}`)),
    );
  });
}

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

const post = (origin: string, token: string, query: string, variables: unknown): Promise<Answer> =>
  postAs(`${origin}/graphql`, token, query, variables);

/** Data without errors, or errors that each carry a documented code. */
function isDataOrCodedErrors(answer: Answer): boolean {
  const { data, errors } = answer.body;
  if (errors === undefined) return answer.status === 200 && data !== undefined && data !== null;
  return (
    errors.length > 0 &&
    errors.every((e) => (ERROR_CODES as readonly string[]).includes(e.extensions?.code ?? ''))
  );
}

it('survives 20 operations at the budget and refuses the finding-2 attack, under 128 MB', async () => {
  emulator = await startTestEmulator({ rateLimit: { quota: 1_000_000, windowMs: 3_600_000 } });
  const origin = await startGateway();
  const token = await emulator.token('client-demo-readonly');

  const orgIds = createSeedData()
    .users.filter((u) => u['org-id'] === ORG_1_ID)
    .map((u) => u['user-id']);
  expect(orgIds.length).toBeGreaterThanOrEqual(1_000);

  // 20 concurrent operations of 5 × 100 = 500 distinct ids each (LIMIT_MAX_IDS_PER_OPERATION's
  // default), every field selected, over different windows of the org's users.
  const atBudget = usersOperation(5);
  const legitimate = await Promise.all(
    Array.from({ length: 20 }, (_, k) => {
      const window = Array.from({ length: 500 }, (_, i) => orgIds[(k * 50 + i) % 1_000] as string);
      const variables = Object.fromEntries(
        Array.from({ length: 5 }, (_, n) => [`v${n}`, window.slice(n * 100, n * 100 + 100)]),
      );
      return post(origin, token, atBudget, variables);
    }),
  );
  for (const answer of legitimate) {
    expect(isDataOrCodedErrors(answer)).toBe(true);
    if (answer.status === 503) expect(answer.body.errors?.[0]?.extensions?.code).toBe('OVERLOADED');
  }
  // Served, not merely survived: the bound queues what it cannot run at once.
  expect(legitimate.filter((a) => a.body.errors === undefined).length).toBeGreaterThan(0);

  // Finding 2: 150 aliases × 100 distinct ids (short ones, so that the body passes the 100 KB cap
  // and only the budget can refuse it), four at once.
  const attack = usersOperation(150);
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const shortId = (n: number) =>
    [n / 3_844, n / 62, n].map((d) => alphabet[Math.floor(d) % 62] as string).join('');
  let serial = 0;
  const attackVariables = () =>
    Object.fromEntries(
      Array.from({ length: 150 }, (_, n) => [`v${n}`, Array.from({ length: 100 }, () => shortId(serial++))]),
    );
  const bodies = Array.from({ length: 4 }, attackVariables);
  for (const variables of bodies) {
    const size = Buffer.byteLength(JSON.stringify({ query: attack, variables }));
    expect(size).toBeGreaterThan(90_000);
    expect(size).toBeLessThan(102_400);
  }
  await emulator.resetStats();
  const refused = await Promise.all(bodies.map((variables) => post(origin, token, attack, variables)));
  for (const answer of refused) {
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(isDataOrCodedErrors(answer)).toBe(true);
    expect(answer.body.errors?.map((e) => e.message).join(' ')).toContain('LIMIT_MAX_IDS_PER_OPERATION');
  }
  expect((await emulator.stats()).calls.batchUsers).toBe(0);

  expect(child?.exitCode).toBeNull();
  const health = await fetch(`${origin}/healthz`);
  expect(health.status).toBe(200);
  expect(output).not.toContain('heap limit');
}, 120_000);
