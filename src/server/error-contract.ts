import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { asRefusedInput, asValidationError, settleError } from '../errors.js';

/** Adds a code to parse and validation errors that have none (graphql-armor's, graphql-js's). */
export function useValidationCodes(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => asValidationError(e)));
      };
    },
  };
}

/**
 * The closed error contract (settleError in errors.ts), as the last word on every GraphQL result.
 * GraphQL responses are never sniffed or stored.
 */
export function useErrorContract(options: { graphqlEndpoint: string; hideSuggestions: boolean }): Plugin {
  const settleResult = (result: ExecutionResult): ExecutionResult =>
    result.errors?.length ? { ...result, errors: result.errors.map((e) => settleError(e, options)) } : result;

  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // A result without `data` is the executor refusing the request before any field ran: an
          // unknown operation (coded by Yoga) or variables that do not coerce.
          if (isAsyncIterable(result) || 'data' in result || !result.errors) return;
          setResult({ ...result, errors: result.errors.map(asRefusedInput) });
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
