import type { Plugin } from 'graphql-yoga';
import type { Authenticate, Authenticated } from '../auth/authenticate.js';

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
