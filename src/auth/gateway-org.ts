import type { Logger } from '../logger.js';
import { UpstreamForbiddenError } from '../upstream/errors.js';
import type { UserApi } from '../upstream/user-api.js';

/** The organisation of the gateway's own XDR credentials: the one jwt callers are bound to. */
export interface GatewayOrg {
  /**
   * Resolves once from whoami (or AUTH_ORG_ID, checked against it) and is then remembered. A failure
   * is not: the next call asks the upstream again.
   */
  id(): Promise<string>;
}

export interface GatewayOrgOptions {
  /** The User API with the service credentials (no cache, no caller: whoami is the gateway's). */
  api: Pick<UserApi, 'whoami'>;
  /** AUTH_ORG_ID. */
  pinned?: string | undefined;
  /** UPSTREAM_OPERATION_DEADLINE_MS: whoami (token request and retries included) ends within this. */
  deadlineMs: number;
  logger: Pick<Logger, 'warn'>;
}

/**
 * The gateway's org cannot be settled by retrying: AUTH_ORG_ID disagrees with whoami, or whoami is
 * forbidden to the gateway's client and nothing is pinned. The message names the setting to fix.
 */
export class GatewayOrgError extends Error {
  override name = 'GatewayOrgError';
  constructor(
    readonly reason: 'mismatch' | 'no_profile_scope',
    message: string,
  ) {
    super(message);
  }
}

export function createGatewayOrg(options: GatewayOrgOptions): GatewayOrg {
  const { api, pinned, deadlineMs, logger } = options;
  let resolved: string | undefined;
  let pending: Promise<string> | undefined;

  const learn = async (): Promise<string> => {
    let orgId: string;
    try {
      // The same deadline as any operation: a hung whoami must not hold the start or a request.
      const whoami = await api.whoami({ signal: AbortSignal.timeout(deadlineMs) });
      orgId = whoami.org.id;
    } catch (error) {
      if (!(error instanceof UpstreamForbiddenError)) throw error;
      if (pinned === undefined) {
        throw new GatewayOrgError(
          'no_profile_scope',
          'The gateway’s XDR client may not call whoami (it lacks the profile scope), so its organisation is unknown: set AUTH_ORG_ID to the organisation id of the XDR client',
        );
      }
      logger.warn(
        { event: 'gateway_org_unverified', orgId: pinned },
        'whoami is forbidden to the gateway’s XDR client (no profile scope): AUTH_ORG_ID is used unverified',
      );
      return pinned;
    }
    if (pinned !== undefined && pinned !== orgId) {
      // Both ids are the operator's own (settings and credentials); org ids are no secret.
      throw new GatewayOrgError(
        'mismatch',
        `AUTH_ORG_ID=${pinned} does not match the organisation of the gateway’s XDR credentials (${orgId}): fix AUTH_ORG_ID or XDR_CLIENT_ID`,
      );
    }
    return orgId;
  };

  return {
    id() {
      if (resolved !== undefined) return Promise.resolve(resolved);
      pending ??= learn().then(
        (orgId) => {
          resolved = orgId;
          return orgId;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
  };
}

/**
 * The org key of the service credentials' cache entries: the gateway's org or, when whoami is
 * forbidden to its client and nothing is pinned, `client:<id>` (one client id belongs to one org).
 * Only the cache may fall back so: jwt mode cannot bind callers to a client id.
 */
export function cacheOrgKey(org: GatewayOrg, clientId: string): () => Promise<string> {
  return () =>
    org.id().catch((error: unknown) => {
      if (error instanceof GatewayOrgError && error.reason === 'no_profile_scope')
        return `client:${clientId}`;
      throw error;
    });
}
