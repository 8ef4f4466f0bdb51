import type { JWTPayload } from 'jose';

/** What an operation needs from the caller, checked before any upstream call. */
export type Access = 'read' | 'write' | 'profile';

/**
 * Scopes that grant each access, after the User API's own policy (upstream-contract.md, "Scopes"):
 * a bare root scope grants read and write, `:read` only read. Whoami (`me`'s organisation, and its
 * user except in jwt mode) needs `profile` or `profile:read` (not `admin`), so the gateway asks for
 * the same; a jwt caller's own user is a user lookup like any other, so it needs `read`.
 */
export const GRANTING_SCOPES: Record<Access, readonly string[]> = {
  read: ['users:read', 'users', 'admin'],
  write: ['users', 'admin'],
  profile: ['profile:read', 'profile'],
};

/** Claims that may carry scopes: OAuth's space-separated string, then Cisco's arrays. */
export const SCOPE_CLAIMS = {
  oauth: 'scope',
  cisco: 'https://schemas.cisco.com/iroh/identity/claims/scopes',
  // The claim the XDR token endpoint (and so our emulator) puts in its access tokens.
  ciscoOauth: 'https://schemas.cisco.com/iroh/identity/claims/oauth/scopes',
} as const;

/**
 * Cisco's identity claims: the caller's identity in logs and audit events, and its organisation (the
 * binding of forward mode, and AUTH_ORG_CLAIM's default in jwt mode).
 */
export const IDENTITY_CLAIMS = {
  orgId: 'https://schemas.cisco.com/iroh/identity/claims/org/id',
  clientId: 'https://schemas.cisco.com/iroh/identity/claims/oauth/client/id',
} as const;

/** Every scope the token names, from any of the scope claims; junk values are ignored. */
export function scopesFromClaims(payload: JWTPayload): string[] {
  const scopes = new Set<string>();
  const oauth = payload[SCOPE_CLAIMS.oauth];
  if (typeof oauth === 'string') for (const s of oauth.split(' ')) if (s) scopes.add(s);
  for (const claim of [SCOPE_CLAIMS.cisco, SCOPE_CLAIMS.ciscoOauth]) {
    const value = payload[claim];
    if (Array.isArray(value)) for (const s of value) if (typeof s === 'string' && s) scopes.add(s);
  }
  return [...scopes];
}

export function grants(scopes: readonly string[], access: Access): boolean {
  return GRANTING_SCOPES[access].some((scope) => scopes.includes(scope));
}
