import type { SearchUsersParams, SearchUsersResult, User, UserChanges, Whoami } from './types.js';

/** Per-call options every UserApi method accepts. */
export interface CallOptions {
  /** Aborts the call (e.g. when the GraphQL client disconnects). */
  signal?: AbortSignal;
  /**
   * Who the call is for: the key of an authenticated caller's share of the org's quota (set by
   * authorizedApi). Absent: the gateway's own account (AUTH_MODE=none), to which no share applies.
   */
  caller?: string;
  /**
   * Asked before a read is retried (the resilience layer): the quota guard counts the retry, and
   * refuses it (rejects) when the org's budget is spent; the read then fails as its attempt did.
   */
  beforeRetry?: (route: string) => Promise<void>;
  /** For log lines only: the request the call serves (absent on calls shared by several requests). */
  requestId?: string;
}

/**
 * The User API as the rest of the gateway sees it. `UserApiClient` is the implementation that talks
 * HTTP; everything else depends on this interface only.
 */
export interface UserApi {
  /** @throws UpstreamNotFoundError when the user does not exist or is in another org. */
  getUser(id: string, options?: CallOptions): Promise<User>;
  /**
   * Looks up many users with `GET /batch/users`, in chunks of at most 100 distinct ids.
   * The result is aligned with `ids` (same length and order, duplicates repeated); null where the
   * upstream returned no such user. On the gateway's path the ids are already distinct (the request's
   * DataLoader); the client is the one place that de-duplicates (each id goes upstream once, whoever
   * asks) and the one that re-orders (the upstream's storage order into `ids`' order); the cache in
   * between merges its hits and the loaded misses by position.
   */
  getUsers(ids: readonly string[], options?: CallOptions): Promise<(User | null)[]>;
  searchUsers(params: SearchUsersParams, options?: CallOptions): Promise<SearchUsersResult>;
  /** Never retried: a change is not idempotent from the caller's point of view. */
  updateUser(id: string, changes: UserChanges, options?: CallOptions): Promise<User>;
  whoami(options?: CallOptions): Promise<Whoami>;
}
