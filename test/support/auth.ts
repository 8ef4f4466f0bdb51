// Callers for the auth modes: AUTH_MODE=jwt and forward settings over the emulator's tokens, a local
// token issuer whose tokens tests shape at will, and forgeries.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import type { AuthConfig } from '../../src/auth/authenticate.js';
import { CISCO_ORG_CLAIM } from '../../src/config.js';
import type { UserApi } from '../../src/upstream/user-api.js';

/**
 * createAuthenticator's `gatewayOrgId` in tests, after createGateway's: the org whoami names for the
 * gateway's own credentials, asked once (single flight), and asked again after a failure. Tests that
 * count upstream calls await it once before measuring.
 */
export function gatewayOrgOf(upstream: { api: UserApi }): () => Promise<string> {
  let org: Promise<string> | undefined;
  return () =>
    (org ??= upstream.api.whoami().then(
      (whoami) => whoami.org.id,
      (error: unknown) => {
        org = undefined;
        throw error;
      },
    ));
}

/** A local token issuer: its own RS256 key, a JWKS on loopback port 0, and a signer for any claims. */
export interface LocalIssuer {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Signs `claims` (iss, aud, sub, exp one hour ahead unless given) with the served key. */
  sign(claims?: JWTPayload, options?: { key?: 'served' | 'stranger'; alg?: string }): Promise<string>;
  /** AUTH_MODE=jwt settings that trust this issuer. */
  jwtConfig(overrides?: Partial<Extract<AuthConfig, { mode: 'jwt' }>>): AuthConfig;
  close(): Promise<void>;
}

/** The emulator signs as Cisco's US region (its default), with the issuer as audience too. */
export const EMULATOR_TOKEN_HOST = 'https://visibility.amp.cisco.com';

/**
 * AUTH_MODE=jwt settings that trust the emulator's tokens: it signs as Cisco's US region, with the
 * issuer as audience too, so its demo clients are test callers.
 */
export function emulatorJwtConfig(
  emulatorUrl: string,
  overrides: Partial<Extract<AuthConfig, { mode: 'jwt' }>> = {},
): AuthConfig {
  return {
    mode: 'jwt',
    jwksUrl: `${emulatorUrl}/.well-known/jwks`,
    issuer: EMULATOR_TOKEN_HOST,
    audience: EMULATOR_TOKEN_HOST,
    algorithms: ['RS256'],
    clockToleranceSec: 5,
    orgClaim: CISCO_ORG_CLAIM,
    ...overrides,
  };
}

/**
 * The environment of a gateway in AUTH_MODE=jwt over the emulator at `emulatorUrl` (its admin demo
 * client upstream, its tokens trusted), as an operator would set it; `extra` adds or overrides
 * (XDR_BASE_URL for another upstream, say).
 */
export function emulatorJwtEnv(
  emulatorUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    XDR_BASE_URL: emulatorUrl,
    XDR_CLIENT_ID: 'client-demo-admin',
    XDR_CLIENT_SECRET: 'demo-admin-secret',
    AUTH_MODE: 'jwt',
    AUTH_JWKS_URL: `${emulatorUrl}/.well-known/jwks`,
    AUTH_ISSUER: EMULATOR_TOKEN_HOST,
    AUTH_AUDIENCE: EMULATOR_TOKEN_HOST,
    ...extra,
  };
}

/**
 * AUTH_MODE=forward settings for the emulator as upstream, as loadConfig derives them for it; the
 * JWKS is the upstream's (`upstreamUrl` in the authenticator's deps).
 */
export function emulatorForwardConfig(
  overrides: Partial<Extract<AuthConfig, { mode: 'forward' }>> = {},
): AuthConfig {
  return {
    mode: 'forward',
    issuer: EMULATOR_TOKEN_HOST,
    audience: EMULATOR_TOKEN_HOST,
    clockToleranceSec: 5,
    ...overrides,
  };
}

/** An RS256 key generated here that no JWKS holds; made once per file (each costs ~250 ms of CPU). */
let stranger: ReturnType<typeof generateKeyPair> | undefined;
const strangerKey = async () => (await (stranger ??= generateKeyPair('RS256'))).privateKey;

/**
 * A forgery of a real token: the same header (kid included) and claims, `claims` merged over them,
 * signed RS256 with a key that no JWKS holds.
 */
export async function forgeLike(token: string, claims: JWTPayload = {}): Promise<string> {
  const { kid } = decodeProtectedHeader(token);
  return new SignJWT({ ...decodeJwt(token), ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(kid ? { kid } : {}) })
    .sign(await strangerKey());
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const served = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES384');
  const kid = 'local-key-1';
  const jwk = { ...(await exportJWK(served.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'local-ec', alg: 'ES384', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk, ecJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = 'https://idp.test.example';
  const audience = 'xdr-user-gateway';
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    issuer,
    audience,
    async sign(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const alg = options.alg ?? 'RS256';
      const key =
        alg === 'ES384'
          ? ec.privateKey
          : options.key === 'stranger'
            ? await strangerKey()
            : served.privateKey;
      return new SignJWT({
        iss: issuer,
        aud: audience,
        sub: 'caller-1',
        iat: now,
        exp: now + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg, kid: alg === 'ES384' ? 'local-ec' : kid, typ: 'JWT' })
        .sign(key);
    },
    jwtConfig(overrides = {}) {
      return {
        mode: 'jwt',
        jwksUrl: `http://127.0.0.1:${port}/jwks`,
        issuer,
        audience,
        algorithms: ['RS256'],
        clockToleranceSec: 5,
        // Its tokens name no org unless a test signs one in: a single-tenant issuer by default.
        orgClaim: null,
        ...overrides,
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
