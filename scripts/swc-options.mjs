// How this repository's TypeScript becomes JavaScript, file by file, without a type check (that is
// `npm run typecheck`'s business): isolatedModules and verbatimModuleSyntax (tsconfig.json) make
// stripping the types all tsc's emit would do. Shared by scripts/emit.mjs (dist/) and the test
// workers' module hooks (test/support/ts-hooks.mjs), so the tests run the code as it ships.
export const SWC_OPTIONS = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022', transform: { verbatimModuleSyntax: true } },
  module: { type: 'es6' },
};
