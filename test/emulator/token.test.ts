import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { DEMO_CLIENTS, DEMO_OWNER_IDS, ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { CLAIMS } from '../../src/emulator/tokens.js';
import { TRACE_ID, basic, call, requestToken } from '../support/rest.js';

let emulator: RunningEmulator;
const pem = (bits: number) =>
  generateKeyPairSync('rsa', { modulusLength: bits })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
const TEST_KEY = pem(2048);

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

const whoami = (token: string) => call(emulator.url, 'GET', '/iroh/profile/whoami', { token });

describe('POST /iroh/oauth2/token', () => {
  it.each(DEMO_CLIENTS.map((c) => [c.clientId, c] as const))('issues a token to %s', async (_, client) => {
    const answer = await requestToken(emulator.url, client.clientId, client.clientSecret);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 600,
      scope: client.scopes.join(' '),
    });
    const claims = decodeJwt((answer.body as { access_token: string }).access_token);
    expect(claims).toEqual({
      iss: 'https://visibility.amp.cisco.com',
      aud: 'https://visibility.amp.cisco.com',
      sub: client.ownerUserId,
      jti: expect.any(String),
      iat: expect.any(Number),
      nbf: expect.any(Number),
      exp: (claims.iat ?? 0) + 600,
      [CLAIMS.orgId]: client.orgId,
      [CLAIMS.userId]: client.ownerUserId,
      [CLAIMS.clientId]: client.clientId,
      [CLAIMS.scopes]: client.scopes,
      [CLAIMS.kind]: 'access-token',
    });
  });

  it('answers 401 invalid_client to a wrong secret, an unknown client and missing credentials', async () => {
    const invalidClient = {
      status: 401,
      body: { error: 'invalid_client', error_description: 'unknown client id or wrong client secret' },
    };
    for (const answer of [
      await requestToken(emulator.url, 'client-demo-admin', 'wrong'),
      await requestToken(emulator.url, 'client-nobody', 'demo-admin-secret'),
      await call(emulator.url, 'POST', '/iroh/oauth2/token', {
        body: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ]) {
      expect({ status: answer.status, body: answer.body }).toEqual(invalidClient);
    }
  });

  it('answers 400 to a missing or unsupported grant and to a non-form body', async () => {
    expect((await requestToken(emulator.url, 'client-demo-admin', 'demo-admin-secret', '')).body).toEqual({
      error: 'invalid_request',
      error_description: 'grant_type is required',
    });
    const refresh = await requestToken(
      emulator.url,
      'client-demo-admin',
      'demo-admin-secret',
      'grant_type=password',
    );
    expect({ status: refresh.status, body: refresh.body }).toEqual({
      status: 400,
      body: {
        error: 'unsupported_grant_type',
        error_description: 'only grant_type=client_credentials is supported',
      },
    });
    const json = await call(emulator.url, 'POST', '/iroh/oauth2/token', {
      json: { grant_type: 'client_credentials' },
      headers: { authorization: basic('client-demo-admin', 'demo-admin-secret') },
    });
    expect(json.status).toBe(400);
    expect(json.body).toEqual(expect.objectContaining({ error: 'invalid_request' }));
  });
});

describe('GET /.well-known/jwks', () => {
  it('publishes the key that verifies issued tokens', async () => {
    const jwks = await call(emulator.url, 'GET', '/.well-known/jwks');
    expect(jwks.status).toBe(200);
    expect(jwks.body).toEqual({
      keys: [
        { kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' },
      ],
    });
    const token = (await requestToken(emulator.url, 'client-demo-admin', 'demo-admin-secret')).body as {
      access_token: string;
    };
    const { payload, protectedHeader } = await jwtVerify(
      token.access_token,
      createLocalJWKSet(jwks.body as Parameters<typeof createLocalJWKSet>[0]),
      { issuer: 'https://visibility.amp.cisco.com', algorithms: ['RS256'] },
    );
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: expect.any(String), typ: 'JWT' });
    expect(payload.sub).toBe(DEMO_OWNER_IDS.org1Admin);
    expect(payload[CLAIMS.orgId]).toBe(ORG_1_ID);
  });
});

describe('rejected tokens', () => {
  const invalidToken = (description: string) => ({
    status: 401,
    body: { error: 'invalid_token', error_description: description, trace_id: TRACE_ID },
  });

  it('answers 401 invalid_request without a bearer header', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: 'Basic Zm9vOmJhcg==' },
      { authorization: 'Bearer' },
    ];
    for (const headers of variants) {
      const answer = await call(emulator.url, 'GET', '/iroh/profile/whoami', { headers });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 401,
        body: {
          error: 'invalid_request',
          error_description: 'an Authorization: Bearer <access token> header is required',
          trace_id: TRACE_ID,
        },
      });
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="iroh"');
    }
  });

  it('answers 401 invalid_token to garbage', async () => {
    for (const token of ['garbage', 'a.b.c', '...']) {
      const answer = await whoami(token);
      expect({ status: answer.status, body: answer.body }).toEqual(
        invalidToken('the access token is malformed'),
      );
    }
    // Well-formed but unsigned (alg none): decodable, so it fails the signature check instead.
    const unsigned = await whoami('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    expect({ status: unsigned.status, body: unsigned.body }).toEqual(
      invalidToken('the access token is invalid'),
    );
  });

  it('answers 401 to a token with a tampered payload', async () => {
    const token = (await requestToken(emulator.url, 'client-demo-readonly', 'demo-readonly-secret')).body as {
      access_token: string;
    };
    const [header, payload, signature] = token.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    claims[CLAIMS.scopes] = ['admin'];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const answer = await whoami(forged);
    expect({ status: answer.status, body: answer.body }).toEqual(invalidToken('the access token is invalid'));
  });

  it('answers 401 to a token of another emulator instance and of another region', async () => {
    const other = await startEmulator();
    const eu = await startEmulator({ region: 'eu' });
    // Two instances given one signing key: the signature checks out, the key id does not.
    const sameKey = await startEmulator({ signingKey: TEST_KEY });
    const sameKeyOther = await startEmulator({ signingKey: TEST_KEY });
    try {
      const sameKeyToken = (await requestToken(sameKeyOther.url, 'client-demo-admin', 'demo-admin-secret'))
        .body as { access_token: string };
      const sameKeyAnswer = await call(sameKey.url, 'GET', '/iroh/profile/whoami', {
        token: sameKeyToken.access_token,
      });
      expect({ status: sameKeyAnswer.status, body: sameKeyAnswer.body }).toEqual(
        invalidToken('the access token is invalid'),
      );

      const otherToken = (await requestToken(other.url, 'client-demo-admin', 'demo-admin-secret')).body as {
        access_token: string;
      };
      const answer = await whoami(otherToken.access_token);
      expect({ status: answer.status, body: answer.body }).toEqual(
        invalidToken('the access token is invalid'),
      );

      const euToken = (await requestToken(eu.url, 'client-demo-admin', 'demo-admin-secret')).body as {
        access_token: string;
      };
      expect(decodeJwt(euToken.access_token).iss).toBe('https://visibility.eu.amp.cisco.com');
      const crossRegion = await whoami(euToken.access_token);
      expect({ status: crossRegion.status, body: crossRegion.body }).toEqual(
        invalidToken('the access token was issued for another region'),
      );
      expect(
        (await call(eu.url, 'GET', '/iroh/profile/whoami', { token: euToken.access_token })).status,
      ).toBe(200);
    } finally {
      await other.close();
      await eu.close();
      await sameKey.close();
      await sameKeyOther.close();
    }
  });

  it('answers 401 once a token has expired', async () => {
    // The emulator's clock, moved by hand: a second passes without waiting for it.
    let now = Date.now();
    const shortLived = await startEmulator({ tokenLifetimeSec: 1, clock: () => now });
    try {
      const issued = await requestToken(shortLived.url, 'client-demo-admin', 'demo-admin-secret');
      expect(issued.body).toEqual(expect.objectContaining({ expires_in: 1 }));
      const token = (issued.body as { access_token: string }).access_token;
      const answerAt = async (at: number) => {
        now = at;
        const answer = await call(shortLived.url, 'GET', '/iroh/profile/whoami', { token });
        return { status: answer.status, body: answer.body };
      };
      const exp = (decodeJwt(token).exp ?? 0) * 1000;
      expect((await answerAt(exp - 1)).status).toBe(200);
      expect(await answerAt(exp)).toEqual(invalidToken('the access token has expired'));
      // Refreshing means asking again.
      const fresh = await requestToken(shortLived.url, 'client-demo-admin', 'demo-admin-secret');
      const again = await call(shortLived.url, 'GET', '/iroh/profile/whoami', {
        token: (fresh.body as { access_token: string }).access_token,
      });
      expect(again.status).toBe(200);
    } finally {
      await shortLived.close();
    }
  });
});

describe('signingKey option', () => {
  it('signs with the key it is given, under a key id of its own', async () => {
    const given = await startEmulator({ signingKey: TEST_KEY });
    try {
      const issued = await requestToken(given.url, 'client-demo-admin', 'demo-admin-secret');
      const token = (issued.body as { access_token: string }).access_token;
      const publicKey = createPublicKey(TEST_KEY);
      const { protectedHeader } = await jwtVerify(token, publicKey, { algorithms: ['RS256'] });
      const jwks = (await call(given.url, 'GET', '/.well-known/jwks')).body as {
        keys: { kid: string; n: string }[];
      };
      expect(jwks.keys).toEqual([
        expect.objectContaining({ kid: protectedHeader.kid, n: publicKey.export({ format: 'jwk' }).n }),
      ]);
    } finally {
      await given.close();
    }
  });

  it.each([
    ['not a key', 'signingKey must be a PEM-encoded RSA private key'],
    [pem(1024), 'signingKey must be an RSA private key of at least 2048 bits'],
    [
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      'signingKey must be an RSA private key of at least 2048 bits',
    ],
  ])('refuses a bad key before listening: %#', async (signingKey, message) => {
    await expect(startEmulator({ signingKey })).rejects.toThrow(new TypeError(message));
  });
});
