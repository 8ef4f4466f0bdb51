// The e2e tests run the gateway as a process. Started through tsx, each start costs about 3 s of CPU
// (its loader hooks see every module the gateway loads); the same sources transpiled once start in
// about 1.2 s, as start:prod's compiled JavaScript does. Compiled by scripts/emit.mjs, as `npm start`
// compiles (types are `npm run check`'s business). The result is cached under node_modules/.cache by
// the sources' content, so a run whose src/ did not change compiles nothing.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = `${ROOT}node_modules/.cache/xdr-user-gateway-e2e`;

/**
 * Node flags for a gateway process that lives a second or two (the start-up and shutdown tests): without
 * the optimising compiler, which in so short a life only spends CPU (1.4 instead of 1.9 CPU-s a start).
 * What the process does and prints is the same.
 */
export const SHORT_LIVED = ['--no-opt'];

/**
 * The node flags of package.json's `start:prod` (`node <flags> dist/main.js`, the image's CMD too):
 * what a gateway process runs with when it stands for the shipped one.
 */
export function startProdFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [node, ...rest] = packageJson.scripts['start:prod']?.split(/\s+/) ?? [];
  if (node !== 'node' || rest.at(-1) !== 'dist/main.js') {
    throw new Error(`start:prod changed: ${packageJson.scripts['start:prod']}`);
  }
  return rest.slice(0, -1);
}

/** The path of src/main.ts's transpiled twin, to run with plain node. */
export async function builtMain(): Promise<string> {
  const out = `${CACHE}/${await sourceHash()}`;
  const main = `${out}/dist/main.js`;
  if (existsSync(main)) return main;
  // Built beside the final place and renamed into it: e2e files in other workers may build at once
  // (the workers are threads of one process, hence the thread id beside the pid).
  const building = `${out}.${process.pid}-${threadId}`;
  await rm(building, { recursive: true, force: true });
  // scripts/emit.mjs, as `npm start` compiles; `schema` links to the repository's schema/ (GraphiQL
  // reads its operations relative to its module, as from dist/), and package.json makes the output
  // ES modules, as the repository's own does.
  await promisify(execFile)(process.execPath, [`${ROOT}scripts/emit.mjs`, `${building}/dist`], { cwd: ROOT });
  await writeFile(`${building}/package.json`, '{ "type": "module" }\n');
  await symlink(`${ROOT}schema`, `${building}/schema`, 'dir');
  try {
    await rename(building, out);
  } catch (error) {
    // Another worker got there first with the same sources.
    await rm(building, { recursive: true, force: true });
    if (!existsSync(main)) throw error;
  }
  // Builds of older sources are never run again (a build in progress has a dot in its name).
  for (const entry of await readdir(CACHE)) {
    if (!entry.includes('.') && `${CACHE}/${entry}` !== out) {
      await rm(`${CACHE}/${entry}`, { recursive: true, force: true });
    }
  }
  return main;
}

/** A digest of every source file and of the emitter, so that a changed src/ is compiled again. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256').update(await readFile(`${ROOT}scripts/emit.mjs`));
  const names = (await readdir(`${ROOT}src`, { recursive: true })).filter((n) => n.endsWith('.ts')).sort();
  for (const name of names)
    hash
      .update(name)
      .update('\0')
      .update(await readFile(`${ROOT}src/${name}`));
  return hash.digest('hex').slice(0, 16);
}
