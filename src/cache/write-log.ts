import type { User } from '../upstream/types.js';
import { memoryKey } from './store.js';

/** How long an update is remembered, to keep slower reads that started before it out of the cache. */
const WRITE_MEMORY_MS = 10 * 60_000;

/**
 * The updates this process made lately, so that a read which started before an update never puts
 * the old version back in the store: a read notes `seq` when it starts and stores only the users
 * `untouchedSince` then.
 */
export interface WriteLog {
  /** Bumped by every update. */
  readonly seq: number;
  /** Records an update of the user (call it before, and again after, the change). */
  remember(orgId: string, id: string): void;
  /** The users no update has touched since `startSeq`. */
  untouchedSince(orgId: string, users: readonly User[], startSeq: number): User[];
}

export function createWriteLog(now: () => number = Date.now): WriteLog {
  let seq = 0;
  // Insertion order is age order: the oldest entries are forgotten first.
  const written = new Map<string, { seq: number; at: number }>();
  return {
    get seq() {
      return seq;
    },
    remember(orgId, id) {
      const at = now();
      seq++;
      const key = memoryKey(orgId, id);
      written.delete(key);
      written.set(key, { seq, at });
      // Forget updates older than any read still running.
      for (const [k, w] of written) {
        if (w.at > at - WRITE_MEMORY_MS) break;
        written.delete(k);
      }
    },
    untouchedSince(orgId, users, startSeq) {
      return users.filter((u) => (written.get(memoryKey(orgId, u.id))?.seq ?? 0) <= startSeq);
    },
  };
}
