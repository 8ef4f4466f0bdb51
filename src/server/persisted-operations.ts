import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse, validate, type GraphQLSchema } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { LRUCache } from 'lru-cache';
import { ConfigError, type Config } from '../config.js';
import { badRequest, persistedRefusal } from '../errors.js';
import { getSchema } from '../schema/index.js';

// Trusted documents and automatic persisted queries (APQ), on Yoga's persisted-operations plugin.
// A client sends `documentId` (POST body, or the GET query string) naming a document of the manifest
// that graphql-codegen's client preset writes (schema/persisted-documents.json, or
// PERSISTED_DOCUMENTS), or APQ's `extensions.persistedQuery.sha256Hash`. PERSISTED_OPERATIONS=only
// serves trusted documents and nothing else; `allow` (the default) serves any document and registers
// APQ ones in a bounded per-process store.

export type PersistedOperationsMode = 'allow' | 'only';

/** Trusted documents by id (`sha256:` and the hex digest of the text). */
export type TrustedDocuments = ReadonlyMap<string, string>;

/** The manifest of the gateway's own operations, written by `npm run codegen`. */
export const BUNDLED_MANIFEST = new URL('../../schema/persisted-documents.json', import.meta.url);

const DOCUMENT_ID = /^sha256:[0-9a-f]{64}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** APQ: documents registered by hash, held per process. Bounded by count and by their total text. */
const APQ_MAX_DOCUMENTS = 1_000;
const APQ_MAX_CHARS = 5_000_000;

/**
 * The trusted documents of a manifest file: `{ "sha256:<hex>": "<document>" }`, each id the hash of its
 * text, each document valid against `schema`. Throws naming the file and the first bad entry.
 */
export function loadTrustedDocuments(file: URL | string, schema: GraphQLSchema): TrustedDocuments {
  const refuse = (problem: string): never => {
    throw new ConfigError([`PERSISTED_DOCUMENTS (${String(file)}): ${problem}`]);
  };
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return refuse(error instanceof SyntaxError ? 'not JSON' : 'cannot be read');
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return refuse('must be a JSON object of "sha256:<hex>": "<document>"');
  }
  const documents = new Map<string, string>();
  for (const [id, text] of Object.entries(manifest)) {
    if (!DOCUMENT_ID.test(id) || typeof text !== 'string')
      refuse(`${id} is not "sha256:<hex>": "<document>"`);
    if (`sha256:${sha256(text as string)}` !== id) refuse(`${id} is not the hash of its document`);
    let errors: readonly Error[];
    try {
      errors = validate(schema, parse(text as string));
    } catch (error) {
      errors = [error as Error];
    }
    if (errors.length > 0) refuse(`${id} is not valid against the schema: ${errors[0]?.message}`);
    documents.set(id, text as string);
  }
  return documents;
}

/**
 * The app's `persisted` settings from the config: the manifest loaded and checked (a bad one stops the
 * start, naming PERSISTED_DOCUMENTS), and a persisted GET's max-age no longer than the cache's TTL.
 */
export function persistedSettings(persisted: Config['security']['persisted'], cacheTtlMs = 0) {
  return {
    mode: persisted.mode,
    trusted: loadTrustedDocuments(persisted.documents ?? BUNDLED_MANIFEST, getSchema()),
    maxAgeSec: Math.floor(cacheTtlMs / 1000),
  };
}

export interface PersistedOperationsOptions {
  mode: PersistedOperationsMode;
  trusted: TrustedDocuments;
  /** Texts trusted besides the manifest's: GraphiQL's opening tabs, as this gateway renders them. */
  trustedTexts?: readonly string[];
}

/** The id a request names: `documentId` (body or GET query string), else APQ's hash; null for none. */
function idOf(params: GraphQLParams & { documentId?: unknown }, request: Request): string | null {
  const documentId =
    params.documentId ??
    (request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : null);
  if (documentId !== null && documentId !== undefined) {
    if (typeof documentId !== 'string' || !DOCUMENT_ID.test(documentId)) {
      throw badRequest('documentId must be "sha256:" and the 64 hex digits of the document\'s hash');
    }
    return documentId;
  }
  const apq: unknown = params.extensions?.['persistedQuery'];
  if (typeof apq !== 'object' || apq === null) return null;
  const { version, sha256Hash } = apq as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1 || typeof sha256Hash !== 'string' || !/^[0-9a-f]{64}$/.test(sha256Hash)) {
    throw badRequest('extensions.persistedQuery must be { "version": 1, "sha256Hash": "<64 hex digits>" }');
  }
  return sha256Hash;
}

/**
 * Serves documents by id (Yoga's plugin), after registering APQ documents sent with their hash
 * (`allow`) and, with `only`, letting through a text only when it is a trusted document itself.
 */
export function usePersistedDocuments(options: PersistedOperationsOptions): Plugin[] {
  const { mode, trusted } = options;
  const trustedHashes = new Set([
    ...trusted.keys(),
    ...(options.trustedTexts ?? []).map((t) => `sha256:${sha256(t)}`),
  ]);
  const apq = new LRUCache<string, string>({
    max: APQ_MAX_DOCUMENTS,
    maxSize: APQ_MAX_CHARS,
    sizeCalculation: (text) => Math.max(1, text.length),
  });
  /** Requests whose text is a trusted document: `only` lets them through. */
  const trustedText = new WeakSet<Request>();

  const register: Plugin = {
    onParams({ params, request }) {
      if (typeof params.query !== 'string') return;
      const id = idOf(params, request);
      // `allow` hashes only a text that comes with a hash to check.
      if (mode === 'allow' && id === null) return;
      const hash = sha256(params.query);
      if (trustedHashes.has(`sha256:${hash}`)) trustedText.add(request);
      if (id === null) return;
      if (id !== hash && id !== `sha256:${hash}`) {
        throw badRequest(
          'The hash of the query is not the one sent with it (extensions.persistedQuery or documentId)',
        );
      }
      // APQ's second request: the text with its hash. Registered for the next callers.
      if (mode === 'allow' && !trusted.has(`sha256:${hash}`)) apq.set(hash, params.query);
    },
  };

  const serve = usePersistedOperations({
    allowArbitraryOperations: mode === 'allow' ? true : (request) => trustedText.has(request),
    extractPersistedOperationId: (params, request) => idOf(params, request),
    getPersistedOperation: (id) =>
      trusted.get(id) ??
      trusted.get(`sha256:${id}`) ??
      (mode === 'allow' ? apq.get(id.replace(/^sha256:/, '')) : undefined) ??
      null,
    customErrors: {
      notFound: () =>
        persistedRefusal(
          mode === 'only'
            ? 'PersistedQueryNotFound: no trusted document has this id'
            : 'PersistedQueryNotFound: send the query with its hash to register it',
          'not-found',
        ),
      persistedQueryOnly: () =>
        persistedRefusal(
          'Only trusted documents are served here (PERSISTED_OPERATIONS=only): send a documentId',
          'only',
        ),
      keyNotFound: () => badRequest('Must provide a query string or a documentId'),
    },
  });
  return [register, serve];
}
