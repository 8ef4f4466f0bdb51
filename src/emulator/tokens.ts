import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, exportJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';

export const REGION_HOSTS = {
  us: 'https://visibility.amp.cisco.com',
  eu: 'https://visibility.eu.amp.cisco.com',
  apjc: 'https://visibility.apjc.amp.cisco.com',
} as const;
export type Region = keyof typeof REGION_HOSTS;

/** Claim names in the style of IROH's access tokens. */
export const CLAIMS = {
  orgId: 'https://schemas.cisco.com/iroh/identity/claims/org/id',
  userId: 'https://schemas.cisco.com/iroh/identity/claims/user/id',
  clientId: 'https://schemas.cisco.com/iroh/identity/claims/oauth/client/id',
  scopes: 'https://schemas.cisco.com/iroh/identity/claims/oauth/scopes',
  kind: 'https://schemas.cisco.com/iroh/identity/claims/oauth/kind',
} as const;

export interface Principal {
  clientId: string;
  userId: string;
  orgId: string;
  scopes: string[];
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface TokenService {
  issue(principal: Principal): Promise<IssuedToken>;
  verify(token: string): Promise<VerifyResult>;
  jwks(): { keys: JWK[] };
}

/**
 * The RSA key pair an emulator signs with: from a PKCS#8 PEM when given, else a fresh 2048-bit pair.
 * Throws a TypeError naming the problem when the PEM is not an RSA private key of at least 2048 bits.
 */
export async function signingKeyPair(pem?: string): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (pem === undefined) return promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new TypeError('signingKey must be a PEM-encoded RSA private key');
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw new TypeError('signingKey must be an RSA private key of at least 2048 bits');
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export async function createTokenService(options: {
  region: Region;
  lifetimeSec: number;
  /** PKCS#8 PEM of the RSA signing key; default a fresh key. The key id is this instance's own either way. */
  signingKey?: string;
  /** Epoch milliseconds that tokens are issued and checked at. Default Date.now. */
  clock?: () => number;
}): Promise<TokenService> {
  const clock = options.clock ?? Date.now;
  const issuer = REGION_HOSTS[options.region];
  const { privateKey, publicKey } = await signingKeyPair(options.signingKey);
  // Each instance has its own key id, and verify refuses any other: a token of another instance is
  // invalid even where two instances were given the same key.
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  // A signature alone would accept a token this process never issued if keys ever leaked or were
  // reused; the issued set makes "unknown token" a first-class rejection, like the real service.
  const issued = new Map<string, number>();

  const forgetExpired = () => {
    const now = clock();
    for (const [jti, expiresAt] of issued) if (expiresAt <= now) issued.delete(jti);
  };

  return {
    async issue(principal) {
      if (issued.size > 1000) forgetExpired();
      const jti = randomUUID();
      const iat = Math.floor(clock() / 1000);
      const exp = iat + options.lifetimeSec;
      const accessToken = await new SignJWT({
        [CLAIMS.orgId]: principal.orgId,
        [CLAIMS.userId]: principal.userId,
        [CLAIMS.clientId]: principal.clientId,
        [CLAIMS.scopes]: principal.scopes,
        [CLAIMS.kind]: 'access-token',
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(issuer)
        .setSubject(principal.userId)
        .setJti(jti)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
      issued.set(jti, exp * 1000);
      return { accessToken, expiresIn: options.lifetimeSec };
    },

    async verify(token) {
      let unverified;
      let header;
      try {
        unverified = decodeJwt(token);
        header = decodeProtectedHeader(token);
      } catch {
        return { ok: false, reason: 'the access token is malformed' };
      }
      const otherRegions: readonly unknown[] = Object.values(REGION_HOSTS).filter((host) => host !== issuer);
      if (otherRegions.includes(unverified.iss)) {
        return { ok: false, reason: 'the access token was issued for another region' };
      }
      if (header.kid !== kid) return { ok: false, reason: 'the access token is invalid' };
      let payload;
      try {
        ({ payload } = await jwtVerify(token, publicKey, {
          issuer,
          audience: issuer,
          algorithms: ['RS256'],
          requiredClaims: ['exp', 'jti', 'sub'],
          currentDate: new Date(clock()),
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired)
          return { ok: false, reason: 'the access token has expired' };
        return { ok: false, reason: 'the access token is invalid' };
      }
      if (typeof payload.jti !== 'string' || !issued.has(payload.jti)) {
        return { ok: false, reason: 'the access token is unknown' };
      }
      const orgId = payload[CLAIMS.orgId];
      const clientId = payload[CLAIMS.clientId];
      const scopes = payload[CLAIMS.scopes];
      if (
        typeof orgId !== 'string' ||
        typeof clientId !== 'string' ||
        typeof payload.sub !== 'string' ||
        !Array.isArray(scopes) ||
        !scopes.every((s): s is string => typeof s === 'string')
      ) {
        return { ok: false, reason: 'the access token is invalid' };
      }
      return { ok: true, principal: { orgId, clientId, userId: payload.sub, scopes } };
    },

    jwks: () => ({ keys: [structuredClone(publicJwk)] }),
  };
}
