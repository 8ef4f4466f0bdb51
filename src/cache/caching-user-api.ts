import { waitUnlessAborted } from '../upstream/abort.js';
import { packBatches } from '../upstream/batches.js';
import { UpstreamNotFoundError } from '../upstream/errors.js';
import type { User } from '../upstream/types.js';
import type { CallOptions, UserApi } from '../upstream/user-api.js';
import type { UserCache } from './user-cache.js';

export interface CachingOptions {
  cache: UserCache;
  /**
   * The organisation the wrapped API's credentials belong to; every entry is keyed by it. Default:
   * learnt once from `inner.whoami()` on first use. Forward mode must pass the org of the caller's
   * verified token (one decorator per request over `forCaller(token)`, all sharing one UserCache).
   */
  orgId?: string | (() => Promise<string>);
}

/**
 * The User API with a cross-request cache in front: by-id reads are served from the store when
 * fresh; concurrent misses for the same org, from any request, share one upstream batch call; search
 * hits are stored too; `updateUser` evicts the user before the call and stores the new version before
 * it returns; the quota guard refuses calls near the org's hourly limit, and every call of an org the
 * upstream answered 429 until its Retry-After has passed (RATE_LIMITED), while cached users still
 * serve. Scope checks stay in front of this (authorizedApi wraps it), so nothing is served from the
 * cache to a caller who could not have read it upstream.
 */
export function createCachingUserApi(inner: UserApi, options: CachingOptions): UserApi {
  const { store, budget, batches, writes, onLookup } = options.cache;
  let org: Promise<string> | undefined;
  const orgIdOf = (): Promise<string> => {
    const given = options.orgId;
    if (typeof given === 'string') return Promise.resolve(given);
    org ??= (given ? given() : inner.whoami().then((w) => w.org.id)).catch((error: unknown) => {
      org = undefined;
      throw error;
    });
    return org;
  };

  /** The upstream call's outcome, after telling the guard how it failed (a 429 blocks the org). */
  const learning = <T>(orgId: string, call: Promise<T>): Promise<T> =>
    budget
      ? call.catch((error: unknown) => {
          budget.learn(orgId, error);
          throw error;
        })
      : call;

  /** `callOptions` with the read's retries counted by the guard, as the read itself was. */
  const counted = (orgId: string, callOptions: CallOptions = {}): CallOptions =>
    budget
      ? { ...callOptions, beforeRetry: (route) => budget.spendRead(orgId, route, 1, callOptions.caller) }
      : callOptions;

  /** Stores the users no update has touched since `startSeq`. */
  const storeFresh = (orgId: string, users: readonly User[], startSeq: number) =>
    store.setMany(orgId, writes.untouchedSince(orgId, users, startSeq));

  /**
   * Loads store misses through the shared batches, charging the caller (when the call names one) the
   * calls its misses alone would need, whether or not they share a call with other callers' misses:
   * that is what its lookups cost the org. Refunded when the shared call is refused before it is made.
   */
  const loadCharged = async (
    orgId: string,
    missing: readonly string[],
    callOptions: CallOptions,
    route: string,
  ): Promise<(User | null)[]> => {
    const refund =
      budget && callOptions.caller !== undefined
        ? await budget.chargeCaller(orgId, callOptions.caller, 'batchUsers', packBatches(missing).length)
        : undefined;
    try {
      return await waitUnlessAborted(batches.load(orgId, missing, inner), callOptions.signal, route);
    } catch (error) {
      if (refund && batches.refused(error)) refund();
      throw error;
    }
  };

  const remember = (orgId: string, id: string) => {
    writes.remember(orgId, id);
    batches.forget(orgId, id);
  };

  return {
    async getUser(id, callOptions = {}) {
      const orgId = await orgIdOf();
      const [cached] = await store.getMany(orgId, [id]);
      onLookup({ hits: cached ? 1 : 0, misses: cached ? 0 : 1 });
      if (cached) return cached;
      const [user] = await loadCharged(orgId, [id], callOptions, 'getUser');
      if (!user) throw new UpstreamNotFoundError('getUser', 'No such user in this organisation');
      return user;
    },

    // Hits and loaded misses merged by position: the ids arrive distinct (the request's loader), and
    // the client is where the upstream's order becomes theirs (see UserApi.getUsers).
    async getUsers(ids, callOptions = {}) {
      const orgId = await orgIdOf();
      if (ids.length === 0) return [];
      const users: (User | null)[] = (await store.getMany(orgId, ids)).map((user) => user ?? null);
      const missing: number[] = [];
      users.forEach((user, at) => {
        if (!user) missing.push(at);
      });
      onLookup({ hits: ids.length - missing.length, misses: missing.length });
      if (missing.length > 0) {
        const loaded = await loadCharged(
          orgId,
          missing.map((at) => ids[at] as string),
          callOptions,
          'batchUsers',
        );
        missing.forEach((at, k) => (users[at] = loaded[k] ?? null));
      }
      return users;
    },

    async searchUsers(params, callOptions) {
      const orgId = await orgIdOf();
      await budget?.spendRead(orgId, 'searchUsers', 1, callOptions?.caller);
      const startSeq = writes.seq;
      const result = await learning(orgId, inner.searchUsers(params, counted(orgId, callOptions)));
      await storeFresh(orgId, result.users, startSeq);
      return result;
    },

    async updateUser(id, changes, callOptions) {
      const orgId = await orgIdOf();
      await budget?.spendWrite(orgId, 'changeUser', 1);
      // Evict first, so that nothing this process serves during the change is the old version...
      remember(orgId, id);
      await store.deleteMany(orgId, [id]);
      let user: User;
      try {
        user = await inner.updateUser(id, changes, callOptions);
      } catch (error) {
        budget?.learn(orgId, error);
        // ...and whatever the outcome, reads that raced with the change are not kept.
        remember(orgId, id);
        await store.deleteMany(orgId, [id]);
        throw error;
      }
      remember(orgId, id);
      // Replace rather than only evict: the next read costs no call. Delete first so that the
      // fallback tier of a Redis store cannot keep an older copy either.
      await store.deleteMany(orgId, [id]);
      await store.setMany(orgId, [user]);
      return user;
    },

    async whoami(callOptions) {
      // Learning the org (when not given) calls whoami itself; that call is not counted twice.
      const orgId = await orgIdOf();
      await budget?.spendRead(orgId, 'whoami', 1, callOptions?.caller);
      return learning(orgId, inner.whoami(counted(orgId, callOptions)));
    },
  };
}
