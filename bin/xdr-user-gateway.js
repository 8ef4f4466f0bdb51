#!/usr/bin/env node
// The `xdr-user-gateway` command (package.json "bin"): src/cli.ts, compiled. In a checkout the sources
// are compiled first, as `npm start` does (scripts/emit.mjs, a fraction of a second), so that the
// command never runs a stale build; an installed package runs the dist/ it ships.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const emit = fileURLToPath(new URL('../scripts/emit.mjs', import.meta.url));
if (existsSync(emit)) execFileSync(process.execPath, [emit], { stdio: 'inherit' });

const { runCli } = await import('../dist/cli.js');
const outcome = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
if (outcome === 'serve') await import('../dist/main.js');
else process.exitCode = outcome;
