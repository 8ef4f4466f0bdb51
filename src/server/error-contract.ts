import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ERROR_CODES } from '../errors.js';

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
 * from ERROR_CODES, with the status docs/security.md states, and, with `hideSuggestions` (introspection
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
