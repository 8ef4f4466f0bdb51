import type { StoredOrg, StoredUser } from './model.js';
import type { SeedData } from './seed.js';

export interface UserStore {
  getOrg(orgId: string): StoredOrg | undefined;
  /** Undefined for unknown ids and for users of another org alike: org isolation lives here. */
  getUser(orgId: string, userId: string): StoredUser | undefined;
  /** Any org's user: only for test controls, never for API routes. */
  findUserInAnyOrg(userId: string): StoredUser | undefined;
  /** The org's users in storage order. Live objects: change them only through the change-a-user route. */
  listOrg(orgId: string): readonly StoredUser[];
  /** The position in storage order, which batch results are sorted by. */
  position(userId: string): number;
}

export function createUserStore(seed: SeedData): UserStore {
  // A private copy: each emulator mutates its own users, never the seed another one was built from.
  const data = structuredClone(seed);
  const orgs = new Map(data.orgs.map((org) => [org.id, org]));
  const byId = new Map<string, { user: StoredUser; position: number }>();
  const byOrg = new Map<string, StoredUser[]>();
  data.users.forEach((user, position) => {
    if (byId.has(user['user-id'])) throw new Error(`duplicate seeded user id ${user['user-id']}`);
    byId.set(user['user-id'], { user, position });
    const list = byOrg.get(user['org-id']) ?? [];
    list.push(user);
    byOrg.set(user['org-id'], list);
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
  };
}
