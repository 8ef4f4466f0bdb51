// Module hooks that let node load this repository's TypeScript (src/, test/) without a build: a
// relative './x.js' import from one of its .ts files resolves to './x.ts' when that exists, and a .ts
// file is stripped of its types by swc with the options scripts/emit.mjs ships (no type check:
// `npm run typecheck` does that). Everything else goes straight to node's own resolution and loading.
// Our own rather than tsx: tsx resolves every specifier of every library through its general rules
// (paths, extensions, tsconfig), about 2 CPU-s per test worker more than this (see test/README.md).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { transformSync } from '@swc/core';

const OPTIONS = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022', transform: { verbatimModuleSyntax: true } },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/** A .ts file of this repository (the test runner imports test files with a `?query` that makes them fresh). */
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
  const path = new URL(url);
  const { code } = transformSync(await readFile(path, 'utf8'), { ...OPTIONS, filename: path.pathname });
  return { format: 'module', source: code, shortCircuit: true };
}
