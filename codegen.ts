import { renameSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations in schema/operations/, checked for staleness by .ci/run. The
// client preset also writes persisted-documents.json: the trusted documents, by the `sha256:` hash of
// each document's normalised text, that the gateway serves by documentId (src/server/persisted-operations.ts).
// It is moved to schema/, beside the operations: the gateway reads it at start, as it reads them.
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'schema/operations/*.graphql',
  generates: {
    'src/client/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
      config: {
        // '.js' on relative imports, as NodeNext wants.
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
  },
  hooks: {
    afterAllFileWrite: [
      'prettier --write',
      () => renameSync('src/client/generated/persisted-documents.json', 'schema/persisted-documents.json'),
    ],
  },
};

export default config;
