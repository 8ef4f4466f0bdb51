import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
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
    }
  | { mode: 'forward'; clockToleranceSec: number };

export interface Authenticated {
  caller: Caller;
  /** Forward mode: the User API as the caller (their token); otherwise the gateway's own client. */
  api?: UserApi;
}

/** Establishes the caller of one HTTP request, or throws a GraphQLError that carries its HTTP status. */
export type Authenticate = (request: Request) => Promise<Authenticated>;

export interface AuthenticatorDeps {
  /** Forward mode: the User API with the caller's token (see createUpstream's forCaller). */
  forCaller?: (token: string) => UserApi;
  /** Overrides the JWKS fetched from `jwksUrl` (tests). */
  keys?: JWTVerifyGetKey;
  logger?: Logger;
}

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

  switch (config.mode) {
    case 'none':
      return async () => ({ caller: ANONYMOUS });

    case 'jwt': {
      const keys = deps.keys ?? createRemoteJWKSet(new URL(config.jwksUrl));
      return async (request) => {
        const token = bearer(request);
        let payload: JWTPayload;
        try {
          ({ payload } = await jwtVerify(token, keys, {
            issuer: config.issuer,
            audience: config.audience,
            algorithms: config.algorithms,
            clockTolerance: config.clockToleranceSec,
            requiredClaims: ['exp'],
          }));
        } catch (error) {
          throw jwtFailure(error, reject, deps.logger);
        }
        return { caller: callerFrom('jwt', payload) };
      };
    }

    case 'forward': {
      const forCaller = deps.forCaller;
      if (!forCaller) throw new Error('AUTH_MODE=forward needs forCaller');
      return async (request) => {
        const token = bearer(request);
        // Not verified here: the User API verifies the signature on every call. The claims only
        // decide whether to call at all (scopes, expiry), which can save quota but never grant
        // anything: a forged claim gets the forger an upstream 401, not data.
        let payload: JWTPayload;
        try {
          payload = decodeJwt(token);
        } catch {
          throw reject('not_a_jwt', 'The access token is invalid');
        }
        const now = Math.floor(Date.now() / 1000);
        if (typeof payload.exp === 'number' && payload.exp + config.clockToleranceSec <= now) {
          throw reject('expired', 'The access token has expired');
        }
        return { caller: callerFrom('forward', payload), api: forCaller(token) };
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
