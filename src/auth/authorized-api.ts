import type { UserApi } from '../upstream/user-api.js';
import { requireScope, type Caller } from './caller.js';

/**
 * The caller's view of the User API: every method checks the caller's scopes first, so no resolver,
 * loader or federation entity lookup can reach the upstream without them, however it is written.
 */
export function authorizedApi(api: UserApi, caller: Caller): UserApi {
  const ctx = { caller };
  return {
    async getUser(id, options) {
      requireScope(ctx, 'read');
      return api.getUser(id, options);
    },
    async getUsers(ids, options) {
      requireScope(ctx, 'read');
      return api.getUsers(ids, options);
    },
    async searchUsers(params, options) {
      requireScope(ctx, 'read');
      return api.searchUsers(params, options);
    },
    async updateUser(id, changes, options) {
      requireScope(ctx, 'write');
      return api.updateUser(id, changes, options);
    },
    async whoami(options) {
      requireScope(ctx, 'profile');
      return api.whoami(options);
    },
  };
}
