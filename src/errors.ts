// The gateway's error vocabulary: the closed set of codes a client can see, the factories that mint
// them, and the conversions that give every other error one of them (or mask it). No other module
// of src/ spells a code; test/unit/error-vocabulary.test.ts holds them to it.
import {
  GraphQLError,
  type GraphQLErrorExtensions,
  type GraphQLErrorOptions,
  type GraphQLHTTPErrorExtensions,
} from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import { CallerTokenRejectedError } from './upstream/caller-token.js';
import { UpstreamError } from './upstream/errors.js';

/**
 * The closed set of `extensions.code` values this gateway sends. Anything else that goes wrong is
 * masked by Yoga as INTERNAL_SERVER_ERROR ("Unexpected error.").
 */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_INVALID_RESPONSE',
  'INTERNAL_SERVER_ERROR',
  // Refused before execution (the plugins of src/server/ and Yoga's request handling):
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  // The gateway is at MAX_CONCURRENT_OPERATIONS or MAX_CONCURRENT_IDS and the request waited in vain (503).
  'OVERLOADED',
  // Persisted documents (PERSISTED_OPERATIONS): an id not held; with `only`, a document not trusted.
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_ONLY',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

declare module 'graphql' {
  interface GraphQLErrorExtensions {
    /**
     * What the client can branch on. Libraries may set codes of their own (Yoga's
     * OPERATION_RESOLUTION_FAILURE), which settleError replaces before a client sees them: read a
     * code of an error the gateway did not make as `unknown`.
     */
    code?: ErrorCode;
    /** The response's status and headers; Yoga strips it from the body (Yoga's own declaration). */
    http?: GraphQLHTTPErrorExtensions;
  }
}

const KNOWN_CODES: ReadonlySet<unknown> = new Set<ErrorCode>(ERROR_CODES);

function coded(message: string, extensions: GraphQLErrorExtensions & { code: ErrorCode }): GraphQLError {
  return new GraphQLError(message, { extensions });
}

// ---- Factories, one per kind of refusal ----------------------------------------------------------

/** The client's input cannot be served as given: an argument, a variable, a representation. */
export const badUserInput = (message: string, extensions: Record<string, unknown> = {}): GraphQLError =>
  coded(message, { ...extensions, code: 'BAD_USER_INPUT' });

/** The HTTP request itself is refused: 400, or `status` (403 for a request CSRF prevention stops). */
export const badRequest = (message: string, status = 400): GraphQLError =>
  coded(message, { code: 'BAD_REQUEST', http: { status } });

/** 413: the body is over the cap. */
export const payloadTooLarge = (maxBytes: number): GraphQLError =>
  coded(`The request body exceeds ${maxBytes} bytes`, { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } });

/** 401 with a Bearer challenge: no caller could be established from the request. */
export const unauthenticated = (message: string): GraphQLError =>
  coded(message, {
    code: 'UNAUTHENTICATED',
    http: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
  });

/** 403: the caller is known and refused as a whole (e.g. its token is of another organisation). */
export const forbidden = (message: string): GraphQLError =>
  coded(message, { code: 'FORBIDDEN', http: { status: 403 } });

/** A refusal for want of a scope (ScopeError, so that updateUser can tell it apart): FORBIDDEN with the
 * scopes that would do, and no status, so that the rest of the operation is still answered. */
export const scopeRefusal = (requiredScopes: readonly string[]): GraphQLErrorOptions => ({
  extensions: { code: 'FORBIDDEN', requiredScopes: [...requiredScopes] },
});

/** A service the gateway depends on failed it: the User API, or the identity provider (`status` 503). */
export const upstreamUnavailable = (message: string, status?: number): GraphQLError =>
  coded(message, { code: 'UPSTREAM_UNAVAILABLE', ...(status === undefined ? {} : { http: { status } }) });

/** A refusal by an operation limit, `limit` naming its setting: a parse error (the parser counts tokens)
 * or a validation error. settleError answers it with 400 whatever the client accepts (docs/security.md). */
export const limitExceeded = (
  message: string,
  limit: string,
  max: number,
  refusedIn: 'parse' | 'validation' = 'validation',
): GraphQLError =>
  coded(message, {
    code: refusedIn === 'parse' ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED',
    limit,
    max,
  });

/** A refusal by the per-operation budget, which is computed once the variables are known. */
export const budgetExceeded = (
  message: string,
  limit: string,
  max: number,
  requested: number,
): GraphQLError =>
  // Not `spec`: a budget refusal is a 400 for application/json clients too (docs/security.md).
  coded(message, { code: 'BAD_USER_INPUT', limit, max, requested, http: { status: 400 } });

/** At a concurrency cap: 503 from the HTTP server itself, or from Yoga with `http` (execution gate). */
export const overloaded = (message: string, http?: GraphQLHTTPErrorExtensions): GraphQLError =>
  coded(message, { code: 'OVERLOADED', ...(http ? { http } : {}) });

/** 400: a persisted document that is not held, or (PERSISTED_OPERATIONS=only) a document not trusted. */
export const persistedRefusal = (message: string, refusal: 'not-found' | 'only') =>
  coded(message, {
    code: refusal === 'only' ? 'PERSISTED_QUERY_ONLY' : 'PERSISTED_QUERY_NOT_FOUND',
    http: { status: 400 },
  });

// ---- Conversions -----------------------------------------------------------------------------------

/** An upstream failure as a client-facing GraphQL error. Messages are ours: no upstream body, URL,
 * host or credential passes through. */
export function toGraphQLError(error: UpstreamError): GraphQLError {
  switch (error.kind) {
    case 'not_found':
      return coded('The user does not exist or is not visible to these credentials', { code: 'NOT_FOUND' });
    case 'bad_input':
      return badUserInput('The User API rejected the input');
    case 'unauthenticated':
      // Forward mode: the caller's own token was refused, so it is the caller who must act.
      if (error instanceof CallerTokenRejectedError) {
        return coded('The User API rejected your access token', { code: 'UNAUTHENTICATED' });
      }
      return upstreamUnavailable(
        'The gateway could not authenticate to the User API; check its client credentials',
      );
    case 'forbidden':
      return coded('The gateway’s API client lacks the scopes for this operation', {
        missingScopes: 'missingScopes' in error ? error.missingScopes : [],
        code: 'FORBIDDEN',
      });
    case 'rate_limited':
      return coded('The User API rate limit for this organisation is exhausted', {
        ...('retryAfterSec' in error && error.retryAfterSec !== undefined
          ? { retryAfter: error.retryAfterSec }
          : {}),
        code: 'RATE_LIMITED',
      });
    case 'timeout':
      return coded('The User API did not answer in time', { code: 'UPSTREAM_TIMEOUT' });
    case 'unavailable':
      return upstreamUnavailable('The User API is unavailable');
    case 'malformed':
      return coded('The User API sent a response the gateway cannot read', {
        code: 'UPSTREAM_INVALID_RESPONSE',
      });
  }
}

/** The upstream failure `error` is, or that a resolver threw and graphql-js wrapped (with its path). */
function upstreamCause(error: unknown): UpstreamError | undefined {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause instanceof UpstreamError ? cause : undefined;
}

/** Whether the masker answers `error` with a code of its own: an upstream failure, which is expected
 * rather than a bug, and which the upstream layer reports itself. */
export const isUpstreamFailure = (error: unknown): boolean => upstreamCause(error) !== undefined;

/**
 * Yoga's error masking (`maskedErrors.maskError`), the one place where resolvers' errors become the
 * client's: an upstream failure becomes its coded error where it happened (path and locations
 * kept); anything else is masked as Yoga masks it, never with the original message or stack
 * whatever NODE_ENV says. GraphQL errors the gateway made pass unchanged.
 */
export function maskError(error: unknown, message: string): Error {
  const upstream = upstreamCause(error);
  if (!upstream) return yogaMaskError(error, message, false);
  const answer = toGraphQLError(upstream);
  if (!(error instanceof GraphQLError)) return answer;
  return new GraphQLError(answer.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    // As graphql-js locates a GraphQLError thrown by a resolver: an original error, which Yoga
    // answers as expected (not with a 500 when there is no data).
    originalError: answer,
    extensions: answer.extensions,
  });
}

/** What graphql-js appends to a message to name what the caller may have meant. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** The code and status the error contract gives `error` (see settleError). */
function settle(error: GraphQLError): {
  code: ErrorCode;
  http: GraphQLHTTPErrorExtensions | undefined;
  masked: boolean;
} {
  // Foreign errors carry foreign codes, whatever the type declaration says.
  const code: unknown = error.extensions.code;
  const known = KNOWN_CODES.has(code) ? (code as ErrorCode) : undefined;
  const http = error.extensions.http;
  // A `spec` status applies to application/graphql-response+json clients only; refusals of the
  // request itself and of a limit are 400 for application/json clients too.
  const forAll = (status: number): GraphQLHTTPErrorExtensions => ({
    ...(http?.headers ? { headers: http.headers } : {}),
    status,
  });
  if (typeof error.extensions['limit'] === 'string') {
    return { code: known ?? 'BAD_REQUEST', http: forAll(400), masked: false };
  }
  // An unknown operationName, or several operations and none named (Yoga's code): a malformed request.
  if (code === 'OPERATION_RESOLUTION_FAILURE')
    return { code: 'BAD_REQUEST', http: forAll(400), masked: false };
  if (known === 'BAD_REQUEST') return { code: known, http: forAll(http?.status ?? 400), masked: false };
  if (known) return { code: known, http, masked: false };
  const status = http?.status ?? 500;
  if (status >= 400 && status < 500) return { code: 'BAD_REQUEST', http, masked: false };
  // Whatever threw it, its text is not the gateway's: masked like Yoga masks.
  return { code: 'INTERNAL_SERVER_ERROR', http, masked: true };
}

/**
 * The error contract's last word on an error of a GraphQL result: a code from ERROR_CODES, with the
 * status docs/security.md states, and, with `hideSuggestions` (introspection off), no "Did you mean
 * …?" naming the schema. Returns `error` itself when it already complies.
 */
export function settleError(error: GraphQLError, options: { hideSuggestions: boolean }): GraphQLError {
  const settled = settle(error);
  let message = settled.masked ? 'Unexpected error.' : error.message;
  if (options.hideSuggestions) message = message.replace(SUGGESTION, '');
  const unexpected = settled.masked || error.extensions.unexpected === true;
  if (
    settled.code === (error.extensions.code as unknown) &&
    settled.http === error.extensions.http &&
    message === error.message
  ) {
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
      code: settled.code,
      ...(settled.http ? { http: settled.http } : {}),
      ...(unexpected ? { unexpected } : {}),
    },
  });
}

/** `error` with `code` when it has none; parse and validation errors of libraries come without. */
function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

/** A validation error (graphql-js', graphql-armor's) as the client sees it: GRAPHQL_VALIDATION_FAILED. */
export const asValidationError = (error: GraphQLError): GraphQLError =>
  withCode(error, 'GRAPHQL_VALIDATION_FAILED');

/**
 * An error of the executor refusing an operation before any field ran (variables that do not
 * coerce, which graphql-js reports without a code): BAD_USER_INPUT.
 */
export const asRefusedInput = (error: GraphQLError): GraphQLError => withCode(error, 'BAD_USER_INPUT');

/**
 * The code the client is answered with for `error` thrown out of a resolver (for the audit log):
 * what maskError and settleError will make of it.
 */
export function errorCodeOf(error: unknown): ErrorCode {
  const masked = maskError(error, 'Unexpected error.');
  return masked instanceof GraphQLError ? settle(masked).code : 'INTERNAL_SERVER_ERROR';
}
