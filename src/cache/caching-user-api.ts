import { packBatches } from '../upstream/batches.js';
import { waitUnlessAborted } from '../upstream/http.js';
import { UpstreamNotFoundError } from '../upstream/errors.js';
import type { User } from '../upstream/types.js';
import type { CallOptions, UserApi } from '../upstream/user-api.js';
import type { QuotaGuard } from './quota-guard.js';
import { memoryKey, type UserStore } from './store.js';

/** How long an update is remembered, to keep slower reads that started before it out of the cache. */
const WRITE_MEMORY_MS = 10 * 60_000;

export interface UserCacheOptions {
  store: UserStore;
  /** Upstream-call budget per org; none: no guard. */
  guard?: QuotaGuard;
  /**
   * How long the first miss waits for other requests' misses before the shared batch call goes out.
   * 0 (default 1): the next turn of the event loop only.
   */
  coalesceWindowMs?: number;
  /** The clock for remembering updates; default Date.now. */
  now?: () => number;
  /** Told how many ids of each by-id lookup the store served and how many it had to fetch. */
  onLookup?: (event: { hits: number; misses: number }) => void;
}

/**
 * The process-wide part of the cache: the store, the quota guard, the batches being gathered or in
 * flight per org, and recent updates. Create one per process and wrap every UserApi with
 * createCachingUserApi over it.
 */
export interface UserCache {
  readonly store: UserStore;
  readonly guard: QuotaGuard | undefined;
  /** Closes the store (the Redis connection). */
  close(): Promise<void>;
  /** @internal */
  readonly state: SharedState;
}

interface Flight {
  promise: Promise<User | null>;
  resolve(user: User | null): void;
  reject(error: unknown): void;
}

interface OrgBatches {
  /** Ids gathered in the current window, with the UserApi of the first request that asked. */
  gathering: Map<string, Flight>;
  gatheringApi: UserApi | undefined;
  /** Ids whose batch call has gone out and not yet been written to the store. */
  inFlight: Map<string, Flight>;
}

interface SharedState {
  orgs: Map<string, OrgBatches>;
  /** The guard's refusals of shared batches: no call was made, so each caller's charge is refunded. */
  refusals: WeakSet<object>;
  /** Bumped by every update; a read stores only users not updated since it started. */
  seq: number;
  written: Map<string, { seq: number; at: number }>;
  windowMs: number;
  onLookup: (event: { hits: number; misses: number }) => void;
  now: () => number;
}

export function createUserCache(options: UserCacheOptions): UserCache {
  return {
    store: options.store,
    guard: options.guard,
    close: () => options.store.close(),
    state: {
      orgs: new Map(),
      refusals: new WeakSet(),
      seq: 0,
      written: new Map(),
      windowMs: options.coalesceWindowMs ?? 1,
      now: options.now ?? Date.now,
      onLookup: options.onLookup ?? (() => {}),
    },
  };
}

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
  const { store, guard, state } = options.cache;
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
    guard
      ? call.catch((error: unknown) => {
          guard.learn(orgId, error);
          throw error;
        })
      : call;

  /** Stores the users no update has touched since `startSeq`. */
  const storeFresh = (orgId: string, users: readonly User[], startSeq: number) => {
    const fresh = users.filter((u) => (state.written.get(memoryKey(orgId, u.id))?.seq ?? 0) <= startSeq);
    return store.setMany(orgId, fresh);
  };

  const batchesOf = (orgId: string): OrgBatches => {
    let batches = state.orgs.get(orgId);
    if (!batches) {
      batches = { gathering: new Map(), gatheringApi: undefined, inFlight: new Map() };
      state.orgs.set(orgId, batches);
    }
    return batches;
  };

  const send = (orgId: string, batches: OrgBatches) => {
    const flights = batches.gathering;
    const api = batches.gatheringApi ?? inner;
    batches.gathering = new Map();
    batches.gatheringApi = undefined;
    const calls = packBatches([...flights.keys()]);
    try {
      guard?.spendRead(orgId, 'batchUsers', calls.length);
    } catch (error) {
      if (typeof error === 'object' && error !== null) state.refusals.add(error);
      for (const flight of flights.values()) flight.reject(error);
      return;
    }
    for (const [id, flight] of flights) batches.inFlight.set(id, flight);
    const startSeq = state.seq;
    for (const ids of calls) {
      const done = () => {
        for (const id of ids) {
          const flight = flights.get(id);
          if (flight && batches.inFlight.get(id) === flight) batches.inFlight.delete(id);
        }
      };
      // No caller's signal: the call is shared, so one caller leaving must not cancel it for the others.
      api.getUsers(ids).then(
        async (users) => {
          users.forEach((user, i) => flights.get(ids[i] as string)?.resolve(user));
          try {
            await storeFresh(
              orgId,
              users.filter((u): u is User => u !== null),
              startSeq,
            );
          } finally {
            done();
          }
        },
        (error: unknown) => {
          guard?.learn(orgId, error);
          for (const id of ids) flights.get(id)?.reject(error);
          done();
        },
      );
    }
  };

  /** Joins or starts the shared batch calls for ids missing from the store. */
  const load = (orgId: string, ids: readonly string[], api: UserApi): Promise<(User | null)[]> => {
    const batches = batchesOf(orgId);
    const startWindow = batches.gathering.size === 0;
    const promises = ids.map((id) => {
      const existing = batches.inFlight.get(id) ?? batches.gathering.get(id);
      if (existing) return existing.promise;
      const flight = newFlight();
      batches.gathering.set(id, flight);
      batches.gatheringApi ??= api;
      return flight.promise;
    });
    if (startWindow && batches.gathering.size > 0) {
      const fire = () => send(orgId, batches);
      if (state.windowMs > 0) setTimeout(fire, state.windowMs);
      else setImmediate(fire);
    }
    return Promise.all(promises);
  };

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
      guard && callOptions.caller !== undefined
        ? guard.chargeCaller(orgId, callOptions.caller, 'batchUsers', packBatches(missing).length)
        : undefined;
    try {
      return await waitUnlessAborted(load(orgId, missing, inner), callOptions.signal, route);
    } catch (error) {
      if (refund && typeof error === 'object' && error !== null && state.refusals.has(error)) refund();
      throw error;
    }
  };

  const remember = (orgId: string, id: string) => {
    const at = state.now();
    state.seq++;
    const key = memoryKey(orgId, id);
    state.written.delete(key);
    state.written.set(key, { seq: state.seq, at });
    // Oldest first (insertion order): forget updates older than any read still running.
    for (const [k, w] of state.written) {
      if (w.at > at - WRITE_MEMORY_MS) break;
      state.written.delete(k);
    }
    // Later readers must not join a batch that may carry the old version.
    batchesOf(orgId).inFlight.delete(id);
  };

  return {
    async getUser(id, callOptions = {}) {
      const orgId = await orgIdOf();
      const [cached] = await store.getMany(orgId, [id]);
      state.onLookup({ hits: cached ? 1 : 0, misses: cached ? 0 : 1 });
      if (cached) return cached;
      const [user] = await loadCharged(orgId, [id], callOptions, 'getUser');
      if (!user) throw new UpstreamNotFoundError('getUser', 'No such user in this organisation');
      return user;
    },

    async getUsers(ids, callOptions = {}) {
      const orgId = await orgIdOf();
      const distinct = [...new Set(ids)];
      if (distinct.length === 0) return [];
      const cached = await store.getMany(orgId, distinct);
      const found = new Map<string, User | null>();
      const missing: string[] = [];
      distinct.forEach((id, i) => {
        const user = cached[i];
        if (user) found.set(id, user);
        else missing.push(id);
      });
      state.onLookup({ hits: distinct.length - missing.length, misses: missing.length });
      if (missing.length > 0) {
        const loaded = await loadCharged(orgId, missing, callOptions, 'batchUsers');
        missing.forEach((id, i) => found.set(id, loaded[i] ?? null));
      }
      return ids.map((id) => found.get(id) ?? null);
    },

    async searchUsers(params, callOptions) {
      const orgId = await orgIdOf();
      guard?.spendRead(orgId, 'searchUsers', 1, callOptions?.caller);
      const startSeq = state.seq;
      const result = await learning(orgId, inner.searchUsers(params, callOptions));
      await storeFresh(orgId, result.users, startSeq);
      return result;
    },

    async updateUser(id, changes, callOptions) {
      const orgId = await orgIdOf();
      guard?.spendWrite(orgId, 'changeUser', 1);
      // Evict first, so that nothing this process serves during the change is the old version...
      remember(orgId, id);
      await store.deleteMany(orgId, [id]);
      let user: User;
      try {
        user = await inner.updateUser(id, changes, callOptions);
      } catch (error) {
        guard?.learn(orgId, error);
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
      guard?.spendRead(orgId, 'whoami', 1, callOptions?.caller);
      return learning(orgId, inner.whoami(callOptions));
    },
  };
}

function newFlight(): Flight {
  let resolve!: (user: User | null) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<User | null>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A waiter may have left (aborted) by the time the shared call fails: never an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
