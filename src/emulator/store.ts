import type { StoredOrg, StoredUser } from './model.js';
import type { SeedData } from './seed.js';

export interface UserStore {
  getOrg(orgId: string): StoredOrg | undefined;
  /** Undefined for unknown ids and for users of another org alike: org isolation lives here. */
  getUser(orgId: string, userId: string): Readonly<StoredUser> | undefined;
  /** Any org's user: only for test controls, never for API routes. */
  findUserInAnyOrg(userId: string): Readonly<StoredUser> | undefined;
  /** The org's users in storage order. */
  listOrg(orgId: string): readonly Readonly<StoredUser>[];
  /** The position in storage order, which batch results are sorted by. */
  position(userId: string): number;
  /**
   * Changes one user: `apply` gets a private copy to change, which then replaces the stored user.
   * Undefined (and nothing changed) for an unknown id or a user of another org.
   */
  change(orgId: string, userId: string, apply: (user: StoredUser) => void): StoredUser | undefined;
}

/**
 * The emulator's users over the seed, copy-on-write: the seed (shared by every emulator of the
 * process, and frozen) is never changed; a changed user is a copy that only this store holds.
 */
export function createUserStore(seed: Readonly<SeedData>): UserStore {
  const orgs = new Map(seed.orgs.map((org) => [org.id, org]));
  const byId = new Map<string, { user: Readonly<StoredUser>; position: number; inOrg: number }>();
  const byOrg = new Map<string, Readonly<StoredUser>[]>();
  seed.users.forEach((user, position) => {
    if (byId.has(user['user-id'])) throw new Error(`duplicate seeded user id ${user['user-id']}`);
    let list = byOrg.get(user['org-id']);
    if (!list) {
      list = [];
      byOrg.set(user['org-id'], list);
    }
    byId.set(user['user-id'], { user, position, inOrg: list.length });
    list.push(user);
  });

  return {
    getOrg: (orgId) => orgs.get(orgId),
    getUser(orgId, userId) {
      const entry = byId.get(userId);
      return entry && entry.user['org-id'] === orgId ? entry.user : undefined;
    },
    findUserInAnyOrg: (userId) => byId.get(userId)?.user,
    listOrg: (orgId) => byOrg.get(orgId) ?? [],
    position: (userId) => byId.get(userId)?.position ?? Number.MAX_SAFE_INTEGER,
    change(orgId, userId, apply) {
      const entry = byId.get(userId);
      if (!entry || entry.user['org-id'] !== orgId) return undefined;
      const user = structuredClone(entry.user) as StoredUser;
      apply(user);
      entry.user = user;
      const list = byOrg.get(orgId);
      if (list) list[entry.inOrg] = user;
      return user;
    },
  };
}
