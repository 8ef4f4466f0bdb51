import { LRUCache } from 'lru-cache';
import type { User } from '../upstream/types.js';
import { memoryKey, type UserStore } from './store.js';

export interface MemoryStoreOptions {
  ttlMs: number;
  maxEntries: number;
  /** The clock, for tests; default performance.now. */
  now?: () => number;
}

/** An in-process LRU: bounded in entries, each entry fresh for `ttlMs`. */
export function createMemoryStore(options: MemoryStoreOptions): UserStore {
  const lru = new LRUCache<string, User>({
    max: options.maxEntries,
    ttl: options.ttlMs,
    // Expired entries are dropped when next read (or pushed out by the size bound), not by timers.
    ttlAutopurge: false,
    // An injected clock is read on every access (no 1 ms reading cache), so tests can step it.
    ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
  });
  return {
    getMany: (orgId, ids) => Promise.resolve(ids.map((id) => lru.get(memoryKey(orgId, id)))),
    setMany(orgId, users) {
      for (const user of users) lru.set(memoryKey(orgId, user.id), user);
      return Promise.resolve();
    },
    deleteMany(orgId, ids) {
      for (const id of ids) lru.delete(memoryKey(orgId, id));
      return Promise.resolve();
    },
    close() {
      lru.clear();
      return Promise.resolve();
    },
  };
}
