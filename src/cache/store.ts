import type { User } from '../upstream/types.js';

/**
 * Where cached users live. Every entry belongs to one organisation: `orgId` is part of every key, so
 * two orgs sharing a store (or a Redis) never see each other's users.
 */
export interface UserStore {
  /** Aligned with `ids`; undefined where nothing fresh is cached. */
  getMany(orgId: string, ids: readonly string[]): Promise<(User | undefined)[]>;
  setMany(orgId: string, users: readonly User[]): Promise<void>;
  deleteMany(orgId: string, ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** One key per org and user; the NUL cannot occur in an org id, so keys of two orgs never collide. */
export const memoryKey = (orgId: string, id: string) => `${orgId}\u0000${id}`;
