import type { CallOptions, UserApi } from '../upstream/user-api.js';
import { requireScope, type Caller } from './caller.js';

/**
 * The key of the caller's share of the org's quota (CallOptions.caller): the token's subject, or its
 * client id when it names no subject; undefined for the anonymous caller (AUTH_MODE=none), who is the
 * gateway's own account and has the whole org-wide guard to itself. Prefixed so that a subject can
 * never take the share of a client id that happens to be spelt the same.
 */
export function callerKeyOf(caller: Caller): string | undefined {
  if (caller.kind === 'anonymous') return undefined;
  // authenticate names a token without `sub` "unknown": such tokens are told apart by client id.
  if (caller.subject !== '' && caller.subject !== 'unknown') return `sub:${caller.subject}`;
  return caller.clientId ? `client:${caller.clientId}` : 'sub:unknown';
}

/**
 * The caller's view of the User API: every method checks the caller's scopes first, so no resolver,
 * loader or federation entity lookup can reach the upstream without them, however it is written; and
 * every call names the caller, so that the quota guard charges it to the caller's share.
 */
export function authorizedApi(api: UserApi, caller: Caller): UserApi {
  const ctx = { caller };
  const key = callerKeyOf(caller);
  // Whatever a layer above passed as `caller` is replaced: the caller is who authenticated.
  const named = (options: CallOptions = {}): CallOptions => {
    const { caller: _ignored, ...rest } = options;
    return key === undefined ? rest : { ...rest, caller: key };
  };
  return {
    async getUser(id, options) {
      requireScope(ctx, 'read');
      return api.getUser(id, named(options));
    },
    async getUsers(ids, options) {
      requireScope(ctx, 'read');
      return api.getUsers(ids, named(options));
    },
    async searchUsers(params, options) {
      requireScope(ctx, 'read');
      return api.searchUsers(params, named(options));
    },
    async updateUser(id, changes, options) {
      requireScope(ctx, 'write');
      return api.updateUser(id, changes, named(options));
    },
    async whoami(options) {
      requireScope(ctx, 'profile');
      return api.whoami(named(options));
    },
  };
}
