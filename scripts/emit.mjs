// Compiles src/**/*.ts into <outDir> (default dist/) file by file with TypeScript's transpileModule,
// source maps included. With isolatedModules (tsconfig.json) that is what tsc emits, without tsc's
// type check (npm run typecheck's business): about 1.5 s instead of 5. `npm start` runs it, and so do
// the end-to-end tests (test/support/built-gateway.ts). `npm run build` stays tsc, checked.
// Plain JavaScript, so that it starts without a TypeScript loader.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  sourceMap: true,
};

for (const name of readdirSync(src, { recursive: true })) {
  if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
  const file = path.join(src, name);
  const target = path.join(outDir, name.replace(/\.ts$/, '.js'));
  const { outputText, sourceMapText = '{}' } = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions,
  });
  // As tsc writes it: the source named relative to the map, so stack traces point into src/.
  const map = { ...JSON.parse(sourceMapText), sources: [path.relative(path.dirname(target), file)] };
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, outputText);
  writeFileSync(`${target}.map`, JSON.stringify(map));
}
