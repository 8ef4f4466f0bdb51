// The emulator stores users and orgs in their wire shape (kebab-case keys, `?` booleans), because the
// emulator's only job is to speak that wire format; there is no domain mapping here.

export const ROLES = ['bare', 'user', 'admin', 'master', 'sat'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export interface IdpMapping {
  idp: string;
  'user-identity-id': string;
  'organization-id'?: string;
  'cco-id'?: string;
  'enabled?'?: boolean;
}

export interface Scim {
  id: string;
  'access-token'?: string;
  'group-id': string;
}

export interface StoredUser {
  'user-id': string;
  'org-id': string;
  role: Role;
  scopes: string[];
  'enabled?': boolean;
  'created-at': string;
  'user-email'?: string;
  'user-name'?: string;
  'user-nick'?: string;
  'role-ids': string[];
  'piam-custom-role-id'?: string;
  'additional-scopes': string[];
  'updated-at'?: string;
  'enabled-at'?: string;
  'activated-at'?: string;
  'approved-at'?: string;
  'blocked-at'?: string;
  /** Chronological (oldest first). */
  'last-logged-at': string[];
  'idp-mappings': IdpMapping[];
  'old-idp-mappings'?: IdpMapping[];
  scim?: Scim;
}

export interface StoredOrg {
  id: string;
  name: string;
  'additional-scopes': string[];
  'scim-status': 'activated' | 'waiting-activation';
  'activation-status': string;
  'allow-all-role-to-login': boolean;
  'enabled?': boolean;
  'created-at': string;
  'updated-at': string;
  settings: Record<string, unknown>;
}

// Not Cisco's real per-role lists (those are long and unpublished); what matters to the gateway is
// that `scopes` follows the role, so a role change visibly changes them.
const ROLE_SCOPES: Record<Role, readonly string[]> = {
  bare: ['profile:read'],
  user: ['casebook', 'enrich:read', 'inspect:read', 'profile', 'users:read'],
  admin: ['admin', 'casebook', 'enrich', 'inspect', 'integration', 'profile', 'users'],
  master: ['admin', 'casebook', 'enrich', 'inspect', 'integration', 'orgs', 'profile', 'users'],
  sat: ['enrich:read', 'inspect:read', 'profile:read', 'sse'],
};

export function scopesFor(role: Role, additionalScopes: readonly string[]): string[] {
  return [...new Set([...ROLE_SCOPES[role], ...additionalScopes])].sort();
}

/** The static role first, then any custom role ids, which a role change keeps. */
export function roleIdsFor(role: Role, previous: readonly string[] = []): string[] {
  return [role, ...previous.filter((id) => !isRole(id))];
}

const USER_KEY_ORDER: readonly (keyof StoredUser)[] = [
  'user-id',
  'org-id',
  'role',
  'scopes',
  'enabled?',
  'created-at',
  'user-email',
  'user-name',
  'user-nick',
  'role-ids',
  'piam-custom-role-id',
  'additional-scopes',
  'updated-at',
  'enabled-at',
  'activated-at',
  'approved-at',
  'blocked-at',
  'last-logged-at',
  'idp-mappings',
  'old-idp-mappings',
  'scim',
];

/**
 * A deep copy in one canonical key order: responses stay byte-identical for the same seed whatever
 * order updates added keys in, and callers can never mutate the store through a response.
 */
export function presentUser(user: StoredUser): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of USER_KEY_ORDER) {
    const value = user[key];
    // Only objects and arrays can be changed through the copy; a string or number is itself.
    if (value !== undefined)
      out[key] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
  }
  return out;
}

export function presentOrg(org: StoredOrg): Record<string, unknown> {
  return structuredClone(org) as unknown as Record<string, unknown>;
}
