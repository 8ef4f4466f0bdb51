import { GraphQLError } from 'graphql';
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
  // The gateway is at MAX_CONCURRENT_OPERATIONS and the request waited its turn in vain (503).
  'OVERLOADED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function gatewayError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badUserInput = (message: string, extensions: Record<string, unknown> = {}) =>
  gatewayError('BAD_USER_INPUT', message, extensions);

/**
 * Turns an upstream failure into a client-facing GraphQL error. Messages are ours: no upstream body,
 * URL, host or credential passes through. Unknown errors are rethrown for Yoga to mask.
 */
export function toGraphQLError(error: unknown): unknown {
  if (!(error instanceof UpstreamError)) return error;
  switch (error.kind) {
    case 'not_found':
      return gatewayError('NOT_FOUND', 'The user does not exist or is not visible to these credentials');
    case 'bad_input':
      return gatewayError('BAD_USER_INPUT', 'The User API rejected the input');
    case 'unauthenticated':
      // Forward mode: the caller's own token was refused, so it is the caller who must act.
      if (error instanceof CallerTokenRejectedError) {
        return gatewayError('UNAUTHENTICATED', 'The User API rejected your access token');
      }
      return gatewayError(
        'UPSTREAM_UNAVAILABLE',
        'The gateway could not authenticate to the User API; check its client credentials',
      );
    case 'forbidden':
      return gatewayError('FORBIDDEN', 'The gateway’s API client lacks the scopes for this operation', {
        missingScopes: 'missingScopes' in error ? error.missingScopes : [],
      });
    case 'rate_limited':
      return gatewayError('RATE_LIMITED', 'The User API rate limit for this organisation is exhausted', {
        ...('retryAfterSec' in error && error.retryAfterSec !== undefined
          ? { retryAfter: error.retryAfterSec }
          : {}),
      });
    case 'timeout':
      return gatewayError('UPSTREAM_TIMEOUT', 'The User API did not answer in time');
    case 'unavailable':
      return gatewayError('UPSTREAM_UNAVAILABLE', 'The User API is unavailable');
    case 'malformed':
      return gatewayError(
        'UPSTREAM_INVALID_RESPONSE',
        'The User API sent a response the gateway cannot read',
      );
  }
}
