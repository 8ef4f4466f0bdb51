import { packBatches } from '../upstream/batches.js';
import type { User } from '../upstream/types.js';
import type { UserApi } from '../upstream/user-api.js';
import type { QuotaBudget } from './quota-guard.js';
import type { UserStore } from './store.js';
import type { WriteLog } from './write-log.js';

/**
 * The by-id misses of every request of the process, per org: gathered for a short window into shared
 * batch calls, and joined while those are in flight, so concurrent requests for the same users cost
 * one upstream call.
 */
export interface SharedBatches {
  /**
   * Resolves each id to its user (null when the upstream has none), joining a batch in flight or
   * being gathered, else starting one; `api` is the User API of the first request that asks.
   */
  load(orgId: string, ids: readonly string[], api: UserApi): Promise<(User | null)[]>;
  /** Later readers of the user must not join a batch that may carry its old version (an update). */
  forget(orgId: string, id: string): void;
  /** Whether `error` is the guard refusing a shared batch before it was made (nothing was spent). */
  refused(error: unknown): boolean;
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

export interface SharedBatchesOptions {
  store: UserStore;
  writes: WriteLog;
  budget: QuotaBudget | undefined;
  /** How long the first miss waits for others; 0: the next turn of the event loop. */
  windowMs: number;
}

export function createSharedBatches({
  store,
  writes,
  budget,
  windowMs,
}: SharedBatchesOptions): SharedBatches {
  const orgs = new Map<string, OrgBatches>();
  const refusals = new WeakSet<object>();

  const batchesOf = (orgId: string): OrgBatches => {
    let batches = orgs.get(orgId);
    if (!batches) {
      batches = { gathering: new Map(), gatheringApi: undefined, inFlight: new Map() };
      orgs.set(orgId, batches);
    }
    return batches;
  };

  const send = async (orgId: string, batches: OrgBatches, fallbackApi: UserApi) => {
    const flights = batches.gathering;
    const api = batches.gatheringApi ?? fallbackApi;
    batches.gathering = new Map();
    batches.gatheringApi = undefined;
    const calls = packBatches([...flights.keys()]);
    // In flight from here: misses that come while the budget is asked (a Redis round trip) join.
    for (const [id, flight] of flights) batches.inFlight.set(id, flight);
    try {
      await budget?.spendRead(orgId, 'batchUsers', calls.length);
    } catch (error) {
      if (typeof error === 'object' && error !== null) refusals.add(error);
      for (const [id, flight] of flights) {
        if (batches.inFlight.get(id) === flight) batches.inFlight.delete(id);
        flight.reject(error);
      }
      return;
    }
    const startSeq = writes.seq;
    for (const ids of calls) {
      const done = () => {
        for (const id of ids) {
          const flight = flights.get(id);
          if (flight && batches.inFlight.get(id) === flight) batches.inFlight.delete(id);
        }
      };
      // No caller's signal: the call is shared, so one caller leaving must not cancel it for the others.
      const beforeRetry = budget && ((route: string) => budget.spendRead(orgId, route, 1));
      api.getUsers(ids, beforeRetry ? { beforeRetry } : {}).then(
        async (users) => {
          users.forEach((user, i) => flights.get(ids[i] as string)?.resolve(user));
          try {
            const found = users.filter((u): u is User => u !== null);
            await store.setMany(orgId, writes.untouchedSince(orgId, found, startSeq));
          } finally {
            done();
          }
        },
        (error: unknown) => {
          budget?.learn(orgId, error);
          for (const id of ids) flights.get(id)?.reject(error);
          done();
        },
      );
    }
  };

  return {
    load(orgId, ids, api) {
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
        const fire = () => void send(orgId, batches, api);
        if (windowMs > 0) setTimeout(fire, windowMs);
        else setImmediate(fire);
      }
      return Promise.all(promises);
    },
    forget(orgId, id) {
      batchesOf(orgId).inFlight.delete(id);
    },
    refused: (error) => typeof error === 'object' && error !== null && refusals.has(error),
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
