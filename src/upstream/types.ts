// Domain objects of the User API, in camelCase. The kebab-case wire shapes live in payloads.ts and
// never leave src/upstream/.

export const USER_ROLES = ['bare', 'user', 'admin', 'master', 'sat'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Roles that change-a-user accepts. */
export type AssignableRole = 'admin' | 'user';

export interface IdpMapping {
  idp: string;
  userIdentityId: string;
  organizationId?: string;
  ccoId?: string;
  enabled?: boolean;
}

/** A user as the User API describes it. `scim.access-token` is dropped at the boundary on purpose. */
export interface User {
  id: string;
  orgId: string;
  role: UserRole;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  email?: string;
  name?: string;
  nick?: string;
  roleIds: string[];
  piamCustomRoleId?: string;
  additionalScopes: string[];
  updatedAt?: string;
  enabledAt?: string;
  activatedAt?: string;
  approvedAt?: string;
  blockedAt?: string;
  /** Login history as the upstream sends it (an array of date-time strings). */
  lastLoggedAt: string[];
  idpMappings: IdpMapping[];
  oldIdpMappings: IdpMapping[];
}

export interface Org {
  id: string;
  name?: string;
  additionalScopes: string[];
  scimStatus?: string;
  activationStatus?: string;
  allowAllRoleToLogin?: boolean;
  enabled?: boolean;
  createdAt?: string;
  updatedAt?: string;
  settings?: Record<string, unknown>;
}

export interface Whoami {
  user: User;
  org: Org;
}

export type UserSortField = 'createdAt' | 'email' | 'name' | 'lastLoggedAt' | 'role';
export type SortOrder = 'asc' | 'desc';
export type SortValue = string | number | null;

export interface UserSearchFilter {
  role?: UserRole | UserRole[];
  enabled?: boolean;
  /** Exact, case-insensitive. */
  email?: string;
  idp?: string;
  /** Case-insensitive substring of email, name or nick. */
  query?: string;
}

export interface SearchUsersParams {
  filter?: UserSearchFilter;
  sortBy?: UserSortField;
  sortOrder?: SortOrder;
  limit?: number;
  offset?: number;
  /** The sort values of the last hit of the previous page. */
  searchAfter?: SortValue[];
}

export interface SearchUsersResult {
  users: User[];
  /** Total matches; equals users.length when the upstream answered with a plain array. */
  totalHits: number;
  /** Sort values of the last hit, when the upstream gave them. */
  sort?: SortValue[];
  /** Where the next page starts; absent on the last page. */
  next?: { limit: number; offset?: number; searchAfter?: SortValue[] };
}

export interface UserChanges {
  role?: AssignableRole;
  enabled?: boolean;
  name?: string;
  nick?: string;
}
