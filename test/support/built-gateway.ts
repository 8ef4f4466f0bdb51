// The e2e tests run the gateway as a process. Started through tsx, each start costs about 3 s of CPU
// (its loader hooks see every module the gateway loads); the same sources transpiled once start in
// about 1.2 s, as start:prod's compiled JavaScript does. Transpiled only: types are `npm run check`'s
// business. The result is cached under node_modules/.cache by the sources' content, so a run whose
// src/ did not change transpiles nothing.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = `${ROOT}node_modules/.cache/xdr-user-gateway-e2e`;

/**
 * Writes `<out>/dist/**` from `<root>/src/**` with TypeScript's transpileModule; `<out>/schema` links
 * to the repository's schema/ (GraphiQL reads its operations relative to its module, as from dist/),
 * and `<out>/package.json` makes the output ES modules, as the repository's own does.
 */
const TRANSPILE = `
const ts = require('typescript');
const fs = require('node:fs');
const path = require('node:path');
const [root, out] = process.argv.slice(1);
const src = path.join(root, 'src');
for (const name of fs.readdirSync(src, { recursive: true })) {
  if (!name.endsWith('.ts')) continue;
  const { outputText } = ts.transpileModule(fs.readFileSync(path.join(src, name), 'utf8'), {
    fileName: name,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
  });
  const target = path.join(out, 'dist', name.replace(/\\.ts$/, '.js'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, outputText);
}
fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\\n');
fs.symlinkSync(path.join(root, 'schema'), path.join(out, 'schema'), 'dir');
`;

/** The path of src/main.ts's transpiled twin, to run with plain node. */
export async function builtMain(): Promise<string> {
  const out = `${CACHE}/${await sourceHash()}`;
  const main = `${out}/dist/main.js`;
  if (existsSync(main)) return main;
  // Built beside the final place and renamed into it: e2e files in other workers may build at once.
  const building = `${out}.${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await promisify(execFile)(process.execPath, ['-e', TRANSPILE, ROOT, building], { cwd: ROOT });
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

/** A digest of every source file, so that a changed src/ is transpiled again. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const names = (await readdir(`${ROOT}src`, { recursive: true })).filter((n) => n.endsWith('.ts')).sort();
  for (const name of names)
    hash
      .update(name)
      .update('\0')
      .update(await readFile(`${ROOT}src/${name}`));
  return hash.digest('hex').slice(0, 16);
}
