import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Authenticate, Authenticated } from '../auth/authenticate.js';

/** Static limits on one operation, enforced while parsing and validating: before any execution. */
export interface OperationLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Aliases in one operation (100 aliased `user` lookups must fit). */
  maxAliases: number;
  /** Lexical tokens in the document (a `users` list of 500 inline ids must fit). */
  maxTokens: number;
  /** Directives in one operation. */
  maxDirectives: number;
  /** graphql-armor's static cost (objects 2, scalars 1, ×1.5 per level, × `first`). */
  maxCost: number;
  /** User ids one operation may ask for: every `users` list, `user` and `_entities` lookup together. */
  maxIdsPerOperation: number;
  /** Worst-case upstream calls of one operation (batches of 100 ids, searches, whoami, changes). */
  maxUpstreamCallsPerOperation: number;
}

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 10,
  maxAliases: 150,
  maxTokens: 5000,
  maxDirectives: 50,
  maxCost: 50_000,
  maxIdsPerOperation: 500,
  maxUpstreamCallsPerOperation: 10,
};

/** The default request body cap: room for 500 ids inline (~25 KB) with a wide margin. */
export const DEFAULT_MAX_BODY_BYTES = 102_400;

/** Any one of these headers marks a request as not "simple", so browsers preflight it (CORS). */
export const CSRF_HEADERS = ['x-graphql-csrf', 'x-graphql-yoga-csrf', 'apollo-require-preflight'];

const code = (c: string, status: number, message: string) =>
  new GraphQLError(message, { extensions: { code: c, http: { status } } });

/** graphql-armor with our limits; limit errors carry GRAPHQL_VALIDATION_FAILED like other validation errors. */
export function useOperationLimits(limits: OperationLimits): Plugin {
  // By default these rules throw out of graphql-js' validate, which Yoga answers as an unexpected
  // error (status 200, no code); reported as validation errors they are a 400 like any other.
  const report = {
    propagateOnRejection: false,
    onReject: [(ctx: ValidationContext | null, error: GraphQLError) => ctx?.reportError(error)],
  };
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, ...report },
    maxAliases: { n: limits.maxAliases, ...report },
    // Runs in the parser (no validation context): its error is a parse error already.
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives, ...report },
    costLimit: { maxCost: limits.maxCost, ...report },
    // "Did you mean …?" would let a caller map the schema with introspection off.
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
}

/**
 * CSRF prevention in the manner of Yoga's own plugin (@graphql-yoga/plugin-csrf-prevention, which
 * this project does not depend on directly): a request a browser may send cross-site without a
 * preflight — any GET, or a POST with a "simple" content type — must carry one of CSRF_HEADERS.
 * JSON POSTs are always preflighted and pass. Rejected with 403 before the body is read.
 */
export function useCsrfPrevention(headers: readonly string[] = CSRF_HEADERS): Plugin {
  const simple = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
  return {
    onRequestParse({ request }) {
      const type = request.headers.get('content-type')?.toLowerCase();
      const preflighted = type !== undefined && !simple.some((s) => type.startsWith(s));
      if (preflighted || headers.some((h) => request.headers.has(h))) return;
      throw code(
        'BAD_REQUEST',
        403,
        `Requests without a JSON body must send one of the headers: ${headers.join(', ')}`,
      );
    },
  };
}

/**
 * Caps the request body: a declared Content-Length over the cap is refused before reading, and a
 * chunked body is counted while it is read. 413 either way. A JSON body is parsed here, once, and
 * handed to Yoga as the request's parameters; one that does not parse is a 400 whose message never
 * quotes it (Yoga's own error carries the parser's message, which recent Node versions fill with the
 * start of the body). Other content types go on to Yoga's parser with the capped body.
 */
export function useBodyLimit(maxBytes: number): Plugin {
  const tooLarge = () => code('PAYLOAD_TOO_LARGE', 413, `The request body exceeds ${maxBytes} bytes`);
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > maxBytes) throw tooLarge();
      if (!request.body || !requestParser) return;
      // Node's HTTP parser never delivers more than a valid Content-Length: only a body without one
      // (chunked) needs counting as it streams in.
      const declared = length !== null && /^\d+$/.test(length);
      setRequestParser(async (req) => {
        const body = declared ? await req.text() : await readCapped(req, maxBytes, tooLarge);
        if (!isJson(req)) {
          return requestParser(new Request(req.url, { method: req.method, headers: req.headers, body }));
        }
        let params: unknown;
        try {
          params = JSON.parse(body);
        } catch {
          throw code('BAD_REQUEST', 400, 'POST body sent invalid JSON.');
        }
        if (params === null || typeof params !== 'object') {
          throw code('BAD_REQUEST', 400, 'POST body must be a JSON object.');
        }
        // An array is a batch, which Yoga refuses with its own message (batching is off).
        return params as Record<string, unknown>;
      });
    },
  };
}

/** The JSON content types Yoga's own POST parser accepts. */
function isJson(request: Request): boolean {
  const type = request.headers.get('content-type')?.toLowerCase() ?? '';
  return type.startsWith('application/json') || type.startsWith('application/graphql+json');
}

async function readCapped(request: Request, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!reader) return '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  // GraphQL request bodies are JSON or GraphQL text: UTF-8.
  return Buffer.concat(chunks).toString('utf8');
}

/** Introspection off: the schema is not browsable (GraphiQL is off as well then). */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

const authenticated = new WeakMap<Request, Authenticated>();

/**
 * Authenticates every GraphQL request before its body is read or parsed: an unauthenticated caller
 * costs no parsing, no validation and no upstream call.
 */
export function useAuthentication(authenticate: Authenticate): Plugin {
  return {
    async onRequestParse({ request }) {
      authenticated.set(request, await authenticate(request));
    },
  };
}

/** What useAuthentication established for this request; undefined if it did not run. */
export function authenticationOf(request: Request): Authenticated | undefined {
  return authenticated.get(request);
}

/** Adds a code to parse and validation errors that have none (graphql-armor's, graphql-js's). */
export function useValidationCodes(): Plugin {
  const withCode = (error: GraphQLError, c: string) =>
    error.extensions['code'] === undefined
      ? new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          extensions: { ...error.extensions, code: c },
        })
      : error;
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      };
    },
  };
}
