import type { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { forbidden, unauthenticated, upstreamUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UserApi } from '../upstream/user-api.js';
import { ANONYMOUS, type Caller } from './caller.js';
import { IDENTITY_CLAIMS, scopesFromClaims } from './scopes.js';

export type AuthConfig =
  | { mode: 'none' }
  | {
      mode: 'jwt';
      jwksUrl: string;
      issuer: string;
      audience: string;
      /** JWS algorithms accepted; anything else (e.g. HS256, none) is rejected. */
      algorithms: string[];
      clockToleranceSec: number;
      /**
       * The claim naming the caller's organisation (AUTH_ORG_CLAIM, default Cisco's org claim); null:
       * a single-tenant issuer whose tokens name none (AUTH_ORG_CLAIM=none).
       */
      orgClaim: string | null;
      /** AUTH_ORG_ID: the gateway's org, pinned; whoami must agree. Absent: learnt from whoami. */
      orgId?: string;
    }
  | {
      mode: 'forward';
      /**
       * The `iss` and `aud` of the User API's own tokens: the region host that issued them (e.g.
       * https://visibility.amp.cisco.com; the emulator signs as its region's host too).
       */
      issuer: string;
      audience: string;
      clockToleranceSec: number;
    };

export interface Authenticated {
  caller: Caller;
  /**
   * Forward mode: the upstream client with the caller's own token. Absent otherwise: the gateway's
   * own client serves the caller. Either way gateway.ts puts the cache and the scope check in front.
   */
  client?: UserApi;
}

/** Establishes the caller of one HTTP request, or throws a GraphQLError that carries its HTTP status. */
export type Authenticate = (request: Request) => Promise<Authenticated>;

export interface AuthenticatorDeps {
  /** Forward mode: the User API with the caller's token (see createUpstream's forCaller). */
  forCaller?: (token: string) => UserApi;
  /**
   * Forward mode: the User API's base URL (the one `forCaller` calls). Callers' tokens are verified
   * against its key set, `<upstreamUrl>/.well-known/jwks`.
   */
  upstreamUrl?: string;
  /**
   * JWT mode (required there): the gateway's own organisation, the one every caller is bound to.
   * Awaited on every request after the token verifies; gateway.ts passes a single-flight resolver over
   * whoami (checked against AUTH_ORG_ID), so this is cheap once learnt, and a rejection (upstream
   * down at start) is retried by the next request rather than remembered.
   */
  gatewayOrgId?: () => Promise<string>;
  /** Overrides the JWKS fetched from `jwksUrl` or the upstream (tests). */
  keys?: JWTVerifyGetKey;
  logger?: Logger;
}

type VerifySettings = Pick<
  Extract<AuthConfig, { mode: 'jwt' }>,
  'issuer' | 'audience' | 'algorithms' | 'clockToleranceSec'
>;

/** The User API signs its access tokens with RS256 only. */
const FORWARD_ALGORITHMS = ['RS256'];

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The authenticator of AUTH_MODE. jwt binds every caller to the gateway's organisation (refusing,
 * 403, a token of another org or, unless the issuer is declared single-tenant, of none); forward
 * binds each caller to the org its token names, which the User API itself enforces. Throws at
 * construction when a mode's dependencies are missing.
 */
export function createAuthenticator(config: AuthConfig, deps: AuthenticatorDeps = {}): Authenticate {
  const logRejection = (reason: string) =>
    // The reason is ours (never the token or a library message that might quote it).
    deps.logger?.info({ event: 'auth_rejected', mode: config.mode, reason }, 'caller rejected');
  const reject = (reason: string, message: string) => {
    logRejection(reason);
    return unauthenticated(message);
  };
  /** 403: the token is genuine, but its organisation is not the one this gateway serves. */
  const refuse = (reason: string, message: string) => {
    logRejection(reason);
    return forbidden(message);
  };
  const bearer = (request: Request): string => {
    const header = request.headers.get('authorization');
    if (header === null)
      throw reject('missing', 'Authentication required: send an Authorization: Bearer token');
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw reject('malformed', 'The Authorization header must be a Bearer token');
    return token;
  };
  /** Checks signature, algorithm, `exp`, issuer and audience; throws 401 (503 when no keys load). */
  const verify = async (token: string, keys: JWTVerifyGetKey, settings: VerifySettings) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSec,
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (error) {
      throw jwtFailure(error, reject, deps.logger);
    }
  };

  switch (config.mode) {
    case 'none':
      return async () => ({ caller: ANONYMOUS });

    case 'jwt': {
      const gatewayOrgId = deps.gatewayOrgId;
      // Fail closed: without the gateway's org there is nothing to bind callers to, and an issuer
      // serving many orgs would let any of them in (issue 12, finding 1).
      if (!gatewayOrgId) throw new Error('AUTH_MODE=jwt needs gatewayOrgId');
      const { orgClaim } = config;
      const keys = deps.keys ?? createRemoteJWKSet(new URL(config.jwksUrl));
      const orgOf = async (): Promise<string> => {
        try {
          return await gatewayOrgId();
        } catch (error) {
          // Not the caller's fault, and not to be remembered: the next request asks again.
          deps.logger?.warn(
            { event: 'gateway_org_unavailable', kind: error instanceof Error ? error.name : 'unknown' },
            'the gateway’s organisation is unknown; callers cannot be bound to it',
          );
          throw upstreamUnavailable('The gateway cannot establish its organisation; try again later', 503);
        }
      };
      return async (request) => {
        const payload = await verify(bearer(request), keys, config);
        const caller = callerFrom('jwt', payload, orgClaim ?? undefined);
        // Checked before the gateway's org is awaited: a token naming no org costs no upstream call.
        if (orgClaim !== null && !caller.orgId) {
          throw refuse('no_org', 'The access token names no organisation');
        }
        const orgId = await orgOf();
        // Neither org id is echoed: a caller of another org learns nothing about this one.
        if (orgClaim !== null && caller.orgId !== orgId) {
          throw refuse('other_org', 'The access token belongs to another organisation');
        }
        // AUTH_ORG_CLAIM=none: a single-tenant issuer, so every verified caller is the gateway's org.
        return { caller: { ...caller, orgId } };
      };
    }

    case 'forward': {
      const forCaller = deps.forCaller;
      if (!forCaller) throw new Error('AUTH_MODE=forward needs forCaller');
      const upstreamUrl = deps.upstreamUrl?.replace(/\/+$/, '');
      if (!deps.keys && !upstreamUrl) throw new Error('AUTH_MODE=forward needs the upstream URL');
      const keys = deps.keys ?? createRemoteJWKSet(new URL(`${upstreamUrl}/.well-known/jwks`));
      return async (request) => {
        const token = bearer(request);
        // Verified here, not only by the User API: with the shared cache a caller may be served
        // without any upstream call, so the signature, expiry, issuer and org must hold first.
        const payload = await verify(token, keys, { ...config, algorithms: FORWARD_ALGORITHMS });
        const caller = callerFrom('forward', payload, IDENTITY_CLAIMS.orgId);
        if (!caller.orgId) throw reject('no_org', 'The access token names no organisation');
        return { caller, client: forCaller(token) };
      };
    }
  }
}

/** The caller a verified token describes; `orgClaim` names the claim holding its org, if any. */
function callerFrom(kind: 'jwt' | 'forward', payload: JWTPayload, orgClaim: string | undefined): Caller {
  const clientId = payload[IDENTITY_CLAIMS.clientId];
  const orgId = orgClaim === undefined ? undefined : payload[orgClaim];
  return {
    kind,
    subject: typeof payload.sub === 'string' ? payload.sub : 'unknown',
    ...(typeof clientId === 'string' ? { clientId } : {}),
    ...(typeof orgId === 'string' && orgId !== '' ? { orgId } : {}),
    scopes: scopesFromClaims(payload),
  };
}

function jwtFailure(
  error: unknown,
  reject: (reason: string, message: string) => GraphQLError,
  logger: Logger | undefined,
): GraphQLError {
  if (error instanceof joseErrors.JWTExpired) return reject('expired', 'The access token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return reject(`claim_${error.claim}`, 'The access token is invalid');
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JWTInvalid ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSENotSupported
  ) {
    return reject(error.code, 'The access token is invalid');
  }
  // The key set could not be fetched or read: the caller is not at fault.
  logger?.warn(
    { event: 'jwks_unavailable', kind: error instanceof Error ? error.name : 'unknown' },
    'JWKS unavailable',
  );
  return upstreamUnavailable('The identity provider is unavailable', 503);
}
