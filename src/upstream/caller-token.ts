import { UpstreamUnauthenticatedError } from './errors.js';
import type { TokenSource } from './token-manager.js';

/** The User API refused the caller's own token (AUTH_MODE=forward): the caller must re-authenticate. */
export class CallerTokenRejectedError extends UpstreamUnauthenticatedError {}

/**
 * AUTH_MODE=forward: a token source that serves the caller's token for one request. There is no
 * refresh: after a 401 the client's single replay fails here at once, so a rejected caller costs
 * one upstream call, not two. The token lives only in this closure (never in JSON or logs).
 */
export function callerTokenSource(token: string): TokenSource {
  let rejected = false;
  return {
    async getToken() {
      if (rejected)
        throw new CallerTokenRejectedError('caller', 'The User API rejected the caller’s access token');
      return token;
    },
    invalidate(value) {
      if (value === token) rejected = true;
    },
  };
}
