import DataLoader from 'dataloader';
import type { CallOptions, UserApi } from './upstream/user-api.js';
import type { User } from './upstream/types.js';

export interface Loaders {
  /** User by id; null when the upstream does not return it (unknown or in another org). */
  user: DataLoader<string, User | null>;
}

/**
 * One set per GraphQL request. Every by-id lookup of the request goes through `user`, which
 * de-duplicates ids and hands them to `UserApi.getUsers` in one call (the client then splits them
 * into chunks of 100 for `GET /batch/users`).
 */
export function createLoaders(api: UserApi, options: CallOptions = {}): Loaders {
  return {
    user: new DataLoader((ids) => api.getUsers(ids, options), {
      // Wait for the whole resolver wave (all aliased root fields, list items, federated entities)
      // rather than the current microtask queue only, so one operation becomes one batch.
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    }),
  };
}

/** Records users the request already holds (search hits, whoami, a mutation's result). */
export function primeUsers(loaders: Loaders, users: readonly User[]): void {
  for (const user of users) loaders.user.clear(user.id).prime(user.id, user);
}
