import { ConfigError, loadConfig } from '../../src/config.js';

// The security settings of loadConfig: defaults, the AUTH_MODE rules, and one message for all problems.
const CISCO = { XDR_REGION: 'eu', XDR_CLIENT_ID: 'id', XDR_CLIENT_SECRET: 'very-secret-value' };
const JWT = {
  AUTH_MODE: 'jwt',
  AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
  AUTH_ISSUER: 'https://idp.example/',
  AUTH_AUDIENCE: 'xdr-user-gateway',
};
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('security settings', () => {
  it('defaults: AUTH_MODE=none over the emulator, limits, introspection and GraphiQL on', () => {
    const config = loadConfig({});
    expect(config.production).toBe(false);
    expect(config.auth).toEqual({ mode: 'none' });
    expect(config.security).toEqual({
      limits: {
        maxDepth: 10,
        maxAliases: 150,
        maxTokens: 5000,
        maxDirectives: 50,
        maxCost: 50_000,
        maxIdsPerOperation: 500,
        maxUpstreamCallsPerOperation: 10,
      },
      maxBodyBytes: 102_400,
      introspection: true,
      graphiql: true,
      cors: { mode: 'loopback' },
      federationSdl: false,
      persisted: { mode: 'allow', documents: undefined },
    });
  });

  it('NODE_ENV=production turns introspection and GraphiQL off unless explicitly enabled', () => {
    expect(loadConfig({ NODE_ENV: 'production', XDR_EMULATOR: 'true' }).security).toEqual(
      expect.objectContaining({ introspection: false, graphiql: false }),
    );
    expect(
      loadConfig({
        NODE_ENV: 'production',
        XDR_EMULATOR: 'true',
        GRAPHQL_INTROSPECTION: 'true',
        GRAPHIQL: 'true',
      }).security,
    ).toEqual(expect.objectContaining({ introspection: true, graphiql: true }));
    expect(problems({ GRAPHIQL: 'true', GRAPHQL_INTROSPECTION: 'false' })).toEqual([
      'GRAPHIQL=true needs introspection: set GRAPHQL_INTROSPECTION=true as well',
    ]);
  });

  it('AUTH_MODE=none against Cisco: needs AUTH_ALLOW_NONE, and is refused in production', () => {
    expect(problems(CISCO)).toEqual([
      'AUTH_MODE=none against Cisco needs AUTH_ALLOW_NONE=true (or use AUTH_MODE=jwt or forward)',
    ]);
    expect(loadConfig({ ...CISCO, AUTH_ALLOW_NONE: 'true' }).auth).toEqual({ mode: 'none' });
    expect(problems({ ...CISCO, AUTH_ALLOW_NONE: 'true', NODE_ENV: 'production' })).toEqual([
      'AUTH_MODE=none is refused with NODE_ENV=production against Cisco: use jwt or forward',
    ]);
    // The embedded emulator holds no real org: none stays allowed there, even in production, once
    // the emulator is asked for explicitly.
    expect(loadConfig({ NODE_ENV: 'production', XDR_EMULATOR: 'true' }).auth).toEqual({ mode: 'none' });
  });

  it('AUTH_MODE=jwt with its defaults, and forward', () => {
    expect(loadConfig({ ...CISCO, ...JWT, NODE_ENV: 'production' }).auth).toEqual({
      mode: 'jwt',
      jwksUrl: JWT.AUTH_JWKS_URL,
      issuer: JWT.AUTH_ISSUER,
      audience: JWT.AUTH_AUDIENCE,
      algorithms: ['RS256', 'ES256'],
      clockToleranceSec: 5,
      orgClaim: 'https://schemas.cisco.com/iroh/identity/claims/org/id',
    });
    expect(loadConfig({ ...CISCO, AUTH_MODE: 'forward' }).auth).toEqual({
      mode: 'forward',
      issuer: 'https://visibility.eu.amp.cisco.com',
      audience: 'https://visibility.eu.amp.cisco.com',
      clockToleranceSec: 5,
    });
  });

  it('AUTH_MODE=forward: issuer and audience are the host of the region whose tokens the upstream issues', () => {
    const forward = (env: Record<string, string>) => {
      const auth = loadConfig({ AUTH_MODE: 'forward', ...env }).auth;
      return auth.mode === 'forward' ? [auth.issuer, auth.audience] : auth.mode;
    };
    const host = (region: string) => [region, region];
    // The embedded emulator signs as us.
    expect(forward({})).toEqual(host('https://visibility.amp.cisco.com'));
    expect(forward({ AUTH_CLOCK_TOLERANCE_SEC: '0' })).toEqual(host('https://visibility.amp.cisco.com'));
    expect(loadConfig({ AUTH_MODE: 'forward', AUTH_CLOCK_TOLERANCE_SEC: '0' }).auth).toEqual(
      expect.objectContaining({ clockToleranceSec: 0 }),
    );
    const client = { XDR_CLIENT_ID: 'id', XDR_CLIENT_SECRET: 'very-secret-value' };
    expect(forward({ ...client, XDR_REGION: 'apjc' })).toEqual(host('https://visibility.apjc.amp.cisco.com'));
    // A base URL on one of Cisco's hosts is that region, whatever XDR_REGION says (it wins there too).
    expect(forward({ ...client, XDR_BASE_URL: 'https://visibility.eu.amp.cisco.com/' })).toEqual(
      host('https://visibility.eu.amp.cisco.com'),
    );
    expect(
      forward({ ...client, XDR_REGION: 'us', XDR_BASE_URL: 'https://visibility.apjc.amp.cisco.com' }),
    ).toEqual(host('https://visibility.apjc.amp.cisco.com'));
    // Any other base URL (a proxy, a standalone emulator) issues XDR_REGION's tokens, us by default.
    expect(forward({ ...client, XDR_BASE_URL: 'http://127.0.0.1:4001', XDR_REGION: 'eu' })).toEqual(
      host('https://visibility.eu.amp.cisco.com'),
    );
    expect(forward({ ...client, XDR_BASE_URL: 'http://127.0.0.1:4001' })).toEqual(
      host('https://visibility.amp.cisco.com'),
    );
    // Upstream settings that do not hold are reported as such, forward or not.
    expect(problems({ AUTH_MODE: 'forward', XDR_CLIENT_ID: 'id' })).toEqual([
      'XDR_REGION (us, eu or apjc) or XDR_BASE_URL is required when the XDR_* settings are used',
      'XDR_CLIENT_SECRET is required when the XDR_* settings are used',
    ]);
  });

  it('lists every problem in one message, never a secret value', () => {
    const env = {
      ...CISCO,
      AUTH_MODE: 'jwt',
      AUTH_JWKS_URL: 'ftp://nope',
      AUTH_ALGORITHMS: 'RS256,HS256',
      AUTH_CLOCK_TOLERANCE_SEC: '9999',
      LIMIT_MAX_ALIASES: '0',
      MAX_BODY_BYTES: 'lots',
      GRAPHIQL: 'maybe',
    };
    expect(problems(env)).toEqual([
      'AUTH_ALGORITHMS must be a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      'AUTH_CLOCK_TOLERANCE_SEC must be an integer 0-300',
      'LIMIT_MAX_ALIASES must be an integer 1-10000, got "0"',
      'MAX_BODY_BYTES must be an integer 1-100000000, got "lots"',
      'GRAPHIQL must be true or false, got "maybe"',
      'AUTH_JWKS_URL must be an http(s) URL',
      'AUTH_ISSUER is required with AUTH_MODE=jwt',
      'AUTH_AUDIENCE is required with AUTH_MODE=jwt',
    ]);
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(problems({ AUTH_MODE: 'open' })).toEqual(['AUTH_MODE must be none, jwt or forward']);
  });
});
