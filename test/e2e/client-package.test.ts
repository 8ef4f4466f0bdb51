// Issue 16, deliverable 3: the typed client leaves the repository. The project is packed as npm
// publishes it (`npm pack`, its prepack build included), the tarball is installed into a new project
// (offline: from the npm cache `npm ci` filled, never the network), and a small consumer importing
// `xdr-user-gateway/client` is type-checked, with one deliberate type error that must be caught, then
// run against a started gateway.
import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { restSearch } from '../support/rest.js';
import { startTestGateway, type ListeningTestGateway } from '../support/gateway.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

/**
 * Where the consumer project goes: memory (/dev/shm) where the machine has it. `npm ci` writes and the
 * clean-up removes some 11,700 files; on this machine's ext4 (mounted with `discard`) the install took
 * 20 CPU-s, on tmpfs 10.
 */
function scratch(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

let dir: string;
let gw: ListeningTestGateway;
beforeAll(async () => {
  dir = mkdtempSync(join(scratch(), 'client-package-'));
  gw = await startTestGateway({ listen: true });
});
afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface LockEntry {
  version?: string;
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  engines?: Record<string, string>;
}

/**
 * The consumer's package-lock.json: the tarball, and this repository's locked versions of the
 * packages it needs (every one its own lock does not mark dev-only). `npm ci` then fetches nothing but
 * tarballs, which the repository's own `npm ci` has cached; a plain `npm install` would ask the
 * registry for each package's versions first.
 */
function consumerLock(tarball: string) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const own = lock.packages[''] as LockEntry;
  const packages: Record<string, LockEntry | Record<string, unknown>> = {
    '': { name: 'consumer', dependencies: { 'xdr-user-gateway': `file:${tarball}` } },
    'node_modules/xdr-user-gateway': {
      version: own.version,
      resolved: `file:${tarball}`,
      dependencies: own.dependencies,
      engines: own.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev && !entry.link) packages[path] = entry;
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

/** The consumer: README's three lines, a typed use of the answer, and a type error tsc must report. */
const consumer = (url: string, ids: string[]) => `
import { createGatewayClient, type GetUsersQuery } from 'xdr-user-gateway/client';
const gateway = createGatewayClient(${JSON.stringify(url)});
const { users } = await gateway.getUsers(${JSON.stringify(ids)});

const first: GetUsersQuery['users'][number] = users[0] ?? null;
console.log(JSON.stringify({ ids: users.map((user) => user?.id ?? null), role: first?.role }));
// Never called: 'OWNER' is no role of the schema, and the published types must say so.
export const wrong = () =>
  // @ts-expect-error
  gateway.searchUsers({ filter: { roles: ['OWNER'] } });
`;

it('npm pack, install the tarball into a new project, type-check and run a consumer of ./client', async () => {
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: ROOT,
    maxBuffer: 10 * 1024 * 1024,
  });
  const tarball = join(dir, stdout.trim().split('\n').at(-1) as string);
  expect(readdirSync(dir)).toContain(tarball.slice(dir.length + 1));

  const project = join(dir, 'consumer');
  const write = (name: string, text: string) => writeFileSync(join(project, name), text);
  await run('mkdir', ['-p', project]);
  write(
    'package.json',
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { 'xdr-user-gateway': `file:${tarball}` },
    }),
  );
  write('package-lock.json', JSON.stringify(consumerLock(tarball)));
  // Only what `npm ci` of this repository cached: a missing package fails here rather than downloading.
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev'], {
    cwd: project,
    maxBuffer: 10 * 1024 * 1024,
  });

  const ids = (await restSearch(gw.emulator, 'client-demo-admin', { limit: 2 })).map((u) =>
    String(u['user-id']),
  );
  write('consumer.ts', consumer(gw.url, ids));
  write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        strict: true,
        types: [],
        // As most projects have it: the consumer's own code is checked against the published
        // declarations (a broken one would turn the client into `any`, and the @ts-expect-error below
        // would then fail as unused), without re-checking every library's .d.ts (3 CPU-s more).
        skipLibCheck: true,
        outDir: 'out',
      },
      files: ['consumer.ts'],
    }),
  );
  // Type-checks against the published declarations (an unused @ts-expect-error is an error too), and emits.
  await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });

  const { stdout: answer } = await run(process.execPath, ['out/consumer.js'], { cwd: project });
  expect(JSON.parse(answer)).toEqual({ ids, role: expect.stringMatching(/^[A-Z_]+$/) });
  // Pack, install and compile take about 25 s alone, and more while the rest of the suite runs beside them.
}, 180_000);
