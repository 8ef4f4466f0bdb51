import { GraphQLError } from 'graphql';
import { scopeRefusal } from '../errors.js';
import { GRANTING_SCOPES, grants, type Access } from './scopes.js';

/**
 * Who is calling, as far as the gateway knows. Never holds the caller's token: in forward mode the
 * token goes straight into the per-request upstream client and nowhere else.
 */
export interface Caller {
  /** How the identity was established: none (AUTH_MODE=none), a verified JWT, or a forwarded one. */
  kind: 'anonymous' | 'jwt' | 'forward';
  /** The token's `sub`, or "anonymous". */
  subject: string;
  clientId?: string;
  /**
   * The organisation the caller is bound to: jwt, the gateway's own (the token was checked to name
   * it, or the issuer is single-tenant); forward, the one the token names. Absent with AUTH_MODE=none,
   * where the caller is the gateway's own account.
   */
  orgId?: string;
  scopes: readonly string[];
}

/** AUTH_MODE=none: the gateway's own credentials decide what is possible. */
export const ANONYMOUS: Caller = { kind: 'anonymous', subject: 'anonymous', scopes: ['users', 'profile'] };

/**
 * A caller lacks the scope for an operation; raised before any upstream call. A GraphQLError with
 * code FORBIDDEN so that it reaches the client unmasked from whichever resolver or loader meets it;
 * updateUser turns it into its ForbiddenError union member.
 */
export class ScopeError extends GraphQLError {
  constructor(
    readonly access: Access,
    readonly requiredScopes: readonly string[],
  ) {
    super(
      `This operation needs one of the scopes: ${requiredScopes.join(', ')}`,
      scopeRefusal(requiredScopes),
    );
    this.name = 'ScopeError';
  }
}

/** Throws a ScopeError unless the caller may do `access`. */
export function requireScope(ctx: { caller: Caller }, access: Access): void {
  if (!grants(ctx.caller.scopes, access)) throw new ScopeError(access, GRANTING_SCOPES[access]);
}
