// Module hooks that let a test worker load this repository's TypeScript (test/, src/) without a build:
// a relative './x.js' import from one of its .ts files resolves to './x.ts' when that exists, and a .ts
// file is stripped of its types by swc with the options scripts/emit.mjs ships with. Everything else
// goes straight to node's own resolution and loading. Our own rather than tsx (which jest's parent
// process still uses for the global setup): tsx runs every library module through its general rules,
// about 5 CPU-s of the suite's more than these hooks (see test/README.md).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { URL, fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';
import { SWC_OPTIONS } from '../../scripts/swc-options.mjs';

/** A .ts file of this repository (the runner imports test files with a `?query` that makes them fresh). */
const ours = (url) => {
  const path = url?.split('?')[0];
  return path?.startsWith('file://') && path.endsWith('.ts') && !path.includes('/node_modules/');
};

export async function resolve(specifier, context, next) {
  if (ours(context.parentURL) && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(candidate)) return { url: candidate.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!ours(url)) return next(url, context);
  const filename = fileURLToPath(url.split('?')[0]);
  const { code } = transformSync(await readFile(filename, 'utf8'), {
    ...SWC_OPTIONS,
    filename,
    sourceMaps: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}
