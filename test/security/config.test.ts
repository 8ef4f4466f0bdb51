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
      limits: { maxDepth: 10, maxAliases: 150, maxTokens: 5000, maxDirectives: 50, maxCost: 50_000 },
      maxBodyBytes: 102_400,
      introspection: true,
      graphiql: true,
    });
  });

  it('NODE_ENV=production turns introspection and GraphiQL off unless explicitly enabled', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).security).toEqual(
      expect.objectContaining({ introspection: false, graphiql: false }),
    );
    expect(
      loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHIQL: 'true' }).security,
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
    // The embedded emulator holds no real org: none stays allowed there, even in production.
    expect(loadConfig({ NODE_ENV: 'production' }).auth).toEqual({ mode: 'none' });
  });

  it('AUTH_MODE=jwt with its defaults, and forward', () => {
    expect(loadConfig({ ...CISCO, ...JWT, NODE_ENV: 'production' }).auth).toEqual({
      mode: 'jwt',
      jwksUrl: JWT.AUTH_JWKS_URL,
      issuer: JWT.AUTH_ISSUER,
      audience: JWT.AUTH_AUDIENCE,
      algorithms: ['RS256', 'ES256'],
      clockToleranceSec: 5,
    });
    expect(loadConfig({ ...CISCO, AUTH_MODE: 'forward' }).auth).toEqual({
      mode: 'forward',
      clockToleranceSec: 5,
    });
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
