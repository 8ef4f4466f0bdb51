import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
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
   * Forward mode: the User API as the caller (their token), behind the shared cache when there is
   * one; otherwise absent and the gateway's own client is used.
   */
  api?: UserApi;
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
   * Forward mode: puts the process's shared cache in front of one caller's User API, keyed by the
   * org of the caller's verified token (e.g. createCachingUserApi over one UserCache). Absent: no cache.
   */
  cacheFor?: (api: UserApi, orgId: string) => UserApi;
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

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      // Yoga uses `http` for the response status and headers and strips it from the body.
      http: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
    },
  });
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function createAuthenticator(config: AuthConfig, deps: AuthenticatorDeps = {}): Authenticate {
  const reject = (reason: string, message: string) => {
    // The reason is ours (never the token or a library message that might quote it).
    deps.logger?.info({ event: 'auth_rejected', mode: config.mode, reason }, 'caller rejected');
    return unauthenticated(message);
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
      const keys = deps.keys ?? createRemoteJWKSet(new URL(config.jwksUrl));
      return async (request) => {
        const payload = await verify(bearer(request), keys, config);
        return { caller: callerFrom('jwt', payload) };
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
        const caller = callerFrom('forward', payload);
        if (!caller.orgId) throw reject('no_org', 'The access token names no organisation');
        const api = forCaller(token);
        return { caller, api: deps.cacheFor ? deps.cacheFor(api, caller.orgId) : api };
      };
    }
  }
}

function callerFrom(kind: 'jwt' | 'forward', payload: JWTPayload): Caller {
  const clientId = payload[IDENTITY_CLAIMS.clientId];
  const orgId = payload[IDENTITY_CLAIMS.orgId];
  return {
    kind,
    subject: typeof payload.sub === 'string' ? payload.sub : 'unknown',
    ...(typeof clientId === 'string' ? { clientId } : {}),
    ...(typeof orgId === 'string' ? { orgId } : {}),
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
  return new GraphQLError('The identity provider is unavailable', {
    extensions: { code: 'UPSTREAM_UNAVAILABLE', http: { status: 503 } },
  });
}
