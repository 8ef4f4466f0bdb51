import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type ASTVisitor,
  type ExecutionResult,
  type ValidationContext,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Authenticate, Authenticated } from '../auth/authenticate.js';
import { ERROR_CODES } from '../errors.js';

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

/**
 * A refusal by one of the operation limits: `limit` names its setting, and the error contract
 * (useErrorContract) answers it with 400 whatever the client accepts, as the README states.
 */
export const limitError = (message: string, limit: string, max: number, c = 'GRAPHQL_VALIDATION_FAILED') =>
  new GraphQLError(message, { extensions: { code: c, limit, max } });

/** graphql-armor with our limits; limit errors carry GRAPHQL_VALIDATION_FAILED like other validation errors. */
export function useOperationLimits(limits: OperationLimits): Plugin {
  // By default these rules throw out of graphql-js' validate, which Yoga answers as an unexpected
  // error (status 200, no code); reported as validation errors they are a 400 like any other.
  const report = (limit: string, max: number) => ({
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null, error: GraphQLError) =>
        ctx?.reportError(limitError(error.message, limit, max)),
    ],
  });
  return EnvelopArmorPlugin({
    maxDepth: {
      n: limits.maxDepth,
      ignoreIntrospection: true,
      ...report('LIMIT_MAX_DEPTH', limits.maxDepth),
    },
    // Every alias counts: graphql-armor exempts `__typename` by default, and 1,600 aliases of it
    // passed a limit of 150.
    maxAliases: { n: limits.maxAliases, allowList: [], ...report('LIMIT_MAX_ALIASES', limits.maxAliases) },
    // Runs in the parser, where there is no validation context: thrown from the lexer, ours is the
    // parse error.
    maxTokens: {
      n: limits.maxTokens,
      onReject: [
        (_ctx: ValidationContext | null, error: GraphQLError) => {
          throw limitError(error.message, 'LIMIT_MAX_TOKENS', limits.maxTokens, 'GRAPHQL_PARSE_FAILED');
        },
      ],
    },
    maxDirectives: { n: limits.maxDirectives, ...report('LIMIT_MAX_DIRECTIVES', limits.maxDirectives) },
    costLimit: { maxCost: limits.maxCost, ...report('LIMIT_MAX_COST', limits.maxCost) },
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

/**
 * Introspection off: the schema is not browsable (GraphiQL is off as well then). Nor is it through
 * `_service { sdl }`, the router's copy of the schema, unless `federationSdl` (FEDERATION_SDL=true)
 * serves it to routers that compose from the running subgraph.
 */
export function useNoIntrospection(options: { federationSdl?: boolean } = {}): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      if (!options.federationSdl) addValidationRule(noFederationSdlRule);
    },
  };
}

function noFederationSdlRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value !== '_service' || context.getParentType() !== context.getSchema().getQueryType()) {
        return;
      }
      context.reportError(
        new GraphQLError(
          'GraphQL introspection has been disabled, but the requested query contained the field "_service".',
          { nodes: node },
        ),
      );
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

interface HttpExtension {
  status?: number;
  headers?: Record<string, string>;
  spec?: boolean;
}

/** What graphql-js appends to a message to name what the caller may have meant. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * The closed error contract, as the last word on every GraphQL result: every error carries a code
 * from ERROR_CODES, with the status the README states, and, with `hideSuggestions` (introspection
 * off), no "Did you mean …?" names the schema. GraphQL responses are never sniffed or stored.
 */
export function useErrorContract(options: { graphqlEndpoint: string; hideSuggestions: boolean }): Plugin {
  const known = new Set<string>(ERROR_CODES);
  const settle = (error: GraphQLError): GraphQLError => {
    let c = error.extensions['code'];
    let http = error.extensions['http'] as HttpExtension | undefined;
    let message = error.message;
    let unexpected = error.extensions['unexpected'] === true;
    // A `spec` status applies to application/graphql-response+json clients only; refusals of the
    // request itself and of a limit are 400 for application/json clients too.
    const httpForAll = (status: number): HttpExtension => ({
      ...(http?.headers ? { headers: http.headers } : {}),
      status,
    });
    if (typeof error.extensions['limit'] === 'string') {
      http = httpForAll(400);
    } else if (c === 'OPERATION_RESOLUTION_FAILURE') {
      // An unknown operationName, or several operations and none named: a malformed request.
      c = 'BAD_REQUEST';
      http = httpForAll(400);
    } else if (c === 'BAD_REQUEST') {
      http = httpForAll(http?.status ?? 400);
    } else if (typeof c !== 'string' || !known.has(c)) {
      const status = http?.status ?? 500;
      if (status >= 400 && status < 500) {
        c = 'BAD_REQUEST';
      } else {
        // Whatever threw it, its text is not the gateway's: masked like Yoga masks.
        c = 'INTERNAL_SERVER_ERROR';
        message = 'Unexpected error.';
        unexpected = true;
      }
    }
    if (options.hideSuggestions) message = message.replace(SUGGESTION, '');
    if (c === error.extensions['code'] && http === error.extensions['http'] && message === error.message) {
      return error;
    }
    const { http: _http, unexpected: _unexpected, ...extensions } = error.extensions;
    return new GraphQLError(message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      // Yoga answers 500 to a data-less result with an unexpected error; keep telling it.
      extensions: {
        ...extensions,
        code: c,
        ...(http ? { http } : {}),
        ...(unexpected ? { unexpected } : {}),
      },
    });
  };
  const settleResult = (result: ExecutionResult): ExecutionResult =>
    result.errors?.length ? { ...result, errors: result.errors.map(settle) } : result;

  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // A result without `data` is the executor refusing the request before any field ran:
          // an unknown operation (coded above) or variables that do not coerce, which graphql-js
          // reports without a code.
          if (isAsyncIterable(result) || 'data' in result || !result.errors) return;
          setResult({
            ...result,
            errors: result.errors.map((error) =>
              error.extensions['code'] === undefined
                ? new GraphQLError(error.message, {
                    nodes: error.nodes,
                    source: error.source,
                    positions: error.positions,
                    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
                  })
                : error,
            ),
          });
        },
      };
    },
    onResultProcess({ result, setResult }) {
      if (isAsyncIterable(result)) return;
      setResult(Array.isArray(result) ? result.map(settleResult) : settleResult(result));
    },
    onResponse({ request, response }) {
      if (new URL(request.url).pathname !== options.graphqlEndpoint) return;
      // Results are per caller and per moment; a browser must not guess their type either.
      response.headers.set('x-content-type-options', 'nosniff');
      response.headers.set('cache-control', 'no-store');
    },
  };
}
