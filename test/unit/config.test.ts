import { ConfigError, loadConfig } from '../../src/config.js';
import { defaultMaxConcurrentIds, defaultMaxConcurrentOperations } from '../../src/limits.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the settings');
}

describe('loadConfig: upstream settings', () => {
  it('with no XDR_* setting runs the embedded emulator on the default ports', () => {
    const config = loadConfig({});
    expect(config.upstream).toEqual({ mode: 'emulator', emulatorPort: 4001 });
    expect(config.port).toBe(4000);
  });

  it('Cisco mode from a region and credentials', () => {
    const config = loadConfig({
      XDR_REGION: 'apjc',
      XDR_CLIENT_ID: 'my-client',
      XDR_CLIENT_SECRET: 's3cr3t-value',
      AUTH_ALLOW_NONE: 'true',
    });
    expect(config.upstream).toEqual({
      mode: 'cisco',
      region: 'apjc',
      baseUrl: 'https://visibility.apjc.amp.cisco.com',
      clientId: 'my-client',
      clientSecret: 's3cr3t-value',
    });
  });

  it('half-given Cisco settings name each missing one', () => {
    expect(problemsOf({ XDR_CLIENT_ID: 'my-client' })).toEqual(
      expect.arrayContaining([
        'XDR_REGION (us, eu or apjc) or XDR_BASE_URL is required when the XDR_* settings are used',
        'XDR_CLIENT_SECRET is required when the XDR_* settings are used',
      ]),
    );
  });

  it('invalid values are all listed in one message that repeats no secret', () => {
    let message = '';
    try {
      loadConfig({
        XDR_REGION: 'mars',
        XDR_BASE_URL: 'ftp://user:pw@example.com',
        XDR_CLIENT_SECRET: 'top-secret-value',
        PORT: 'abc',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('XDR_REGION must be one of us, eu, apjc, got "mars"');
    expect(message).toContain('XDR_BASE_URL must be an http(s) URL without credentials, query or fragment');
    expect(message).toContain('XDR_CLIENT_ID is required when the XDR_* settings are used');
    expect(message).toContain('PORT must be a port number 0-65535, got "abc"');
    expect(message).not.toContain('top-secret-value');
    expect(message).not.toContain('pw@');
  });
});

// Issue 12, finding 4: production never falls back to the embedded emulator, and a misspelt or empty
// setting is never silently ignored.
describe('loadConfig: no silent fallback (finding 4)', () => {
  const cisco = { XDR_REGION: 'us', XDR_CLIENT_ID: 'my-client', XDR_CLIENT_SECRET: 's3cr3t-value' };

  it('NODE_ENV=production without XDR_* settings is refused unless XDR_EMULATOR=true', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'NODE_ENV=production needs the Cisco settings (XDR_REGION or XDR_BASE_URL, XDR_CLIENT_ID, XDR_CLIENT_SECRET); to run the embedded emulator instead, set XDR_EMULATOR=true',
    ]);
    const config = loadConfig({ NODE_ENV: 'production', XDR_EMULATOR: 'true' });
    expect(config.upstream).toEqual({ mode: 'emulator', emulatorPort: 4001 });
    expect(config.production).toBe(true);
  });

  it('XDR_EMULATOR=true beside Cisco settings, or XDR_EMULATOR=false without them, is refused', () => {
    expect(problemsOf({ ...cisco, XDR_EMULATOR: 'true', AUTH_ALLOW_NONE: 'true' })).toEqual([
      'XDR_EMULATOR=true cannot be combined with the Cisco settings (XDR_REGION, XDR_BASE_URL, …)',
    ]);
    expect(problemsOf({ XDR_EMULATOR: 'false' })).toEqual([
      'XDR_EMULATOR=false needs the Cisco settings (XDR_REGION or XDR_BASE_URL, XDR_CLIENT_ID, XDR_CLIENT_SECRET)',
    ]);
  });

  it('in production an unknown prefixed setting stops the start, naming it and the closest setting', () => {
    const problems = problemsOf({ NODE_ENV: 'production', ...cisco, AUTH_MODE: 'forward', XDR_REGOIN: 'us' });
    expect(problems).toEqual(['XDR_REGOIN is not a setting of this gateway (did you mean XDR_REGION?)']);
    expect(problemsOf({ NODE_ENV: 'production', ...cisco, AUTH_MODES: 'jwt' })).toEqual(
      expect.arrayContaining(['AUTH_MODES is not a setting of this gateway (did you mean AUTH_MODE?)']),
    );
  });

  it('outside production the same names are warnings, and the start goes on', () => {
    const config = loadConfig({
      XDR_REGOIN: 'us',
      AUTH_MODES: 'jwt',
      PATH: '/usr/bin',
      OTEL_SERVICE_NAME: 'x',
    });
    expect(config.warnings).toEqual([
      'AUTH_MODES is not a setting of this gateway (did you mean AUTH_MODE?)',
      'XDR_REGOIN is not a setting of this gateway (did you mean XDR_REGION?)',
    ]);
    expect(config.upstream.mode).toBe('emulator');
    expect(config.auth).toEqual({ mode: 'none' });
    // The standalone emulator's own settings share the EMULATOR_ prefix and are known.
    expect(loadConfig({ EMULATOR_RATE_LIMIT: '100' }).warnings).toEqual([]);
  });

  it('an empty value is a missing value: XDR_CLIENT_SECRET= is reported as missing', () => {
    expect(problemsOf({ ...cisco, XDR_CLIENT_SECRET: '', AUTH_ALLOW_NONE: 'true' })).toEqual([
      'XDR_CLIENT_SECRET is required when the XDR_* settings are used',
    ]);
    // Empty XDR_* values alone are no Cisco settings at all: default mode, like an unset variable.
    expect(loadConfig({ XDR_REGION: '', XDR_CLIENT_ID: '', XDR_CLIENT_SECRET: '' }).upstream.mode).toBe(
      'emulator',
    );
  });
});

describe('loadConfig: CORS_ORIGINS (issue 12, deliverable 6)', () => {
  it('unset: loopback origins over the embedded emulator, none in production or against Cisco', () => {
    expect(loadConfig({}).security.cors).toEqual({ mode: 'loopback' });
    expect(loadConfig({ NODE_ENV: 'production', XDR_EMULATOR: 'true' }).security.cors).toEqual({
      mode: 'none',
    });
    expect(
      loadConfig({ XDR_REGION: 'eu', XDR_CLIENT_ID: 'c', XDR_CLIENT_SECRET: 's', AUTH_ALLOW_NONE: 'true' })
        .security.cors,
    ).toEqual({ mode: 'none' });
  });

  it('* is any origin (without credentials); a list is exact origins, trimmed', () => {
    expect(loadConfig({ CORS_ORIGINS: '*' }).security.cors).toEqual({ mode: 'any' });
    expect(
      loadConfig({ CORS_ORIGINS: ' https://app.example.com, http://localhost:3000 ,' }).security.cors,
    ).toEqual({ mode: 'list', origins: ['https://app.example.com', 'http://localhost:3000'] });
  });

  it('anything but an origin is refused, naming each bad entry', () => {
    expect(
      problemsOf({ CORS_ORIGINS: 'https://app.example.com/path, app.example.com, https://ok.example' }),
    ).toEqual([
      'CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (scheme, host and port only), got "https://app.example.com/path", "app.example.com"',
    ]);
  });
});

describe('loadConfig: the HTTP server (issue 12, deliverables 4 and 8)', () => {
  it('defaults shed slow clients well under a minute and size the operation bound from the heap', () => {
    expect(loadConfig({}).server).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 20_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 15_000,
      maxConnections: 1_000,
      maxConcurrentOperations: defaultMaxConcurrentOperations(),
      maxConcurrentIds: defaultMaxConcurrentIds(500),
      queueTimeoutMs: 1_000,
      compression: { minBytes: 1_024 },
    });
    // start:prod's 128 MB heap: 128 requests in progress; bounded both ways.
    const MB = 1024 * 1024;
    expect(defaultMaxConcurrentOperations(128 * MB)).toBe(128);
    expect(defaultMaxConcurrentOperations(2 * MB)).toBe(4);
    expect(defaultMaxConcurrentOperations(64 * 1024 * MB)).toBe(1024);
    // ... and 8192 users held by executing operations: sixteen at the default budget of 500 ids;
    // never fewer than one operation at the budget.
    expect(defaultMaxConcurrentIds(500, 128 * MB)).toBe(8192);
    expect(defaultMaxConcurrentIds(500, 4 * MB)).toBe(500);
    expect(defaultMaxConcurrentIds(20_000, 128 * MB)).toBe(20_000);
    expect(loadConfig({ LIMIT_MAX_IDS_PER_OPERATION: '9000' }).server.maxConcurrentIds).toBe(
      defaultMaxConcurrentIds(9000),
    );
  });

  it('are read from the environment, and checked', () => {
    const server = loadConfig({
      SERVER_HEADERS_TIMEOUT_MS: '2000',
      SERVER_REQUEST_TIMEOUT_MS: '3000',
      SERVER_KEEP_ALIVE_TIMEOUT_MS: '1000',
      SERVER_IDLE_TIMEOUT_MS: '4000',
      SERVER_QUEUE_TIMEOUT_MS: '0',
      MAX_CONNECTIONS: '50',
      MAX_CONCURRENT_OPERATIONS: '8',
      MAX_CONCURRENT_IDS: '600',
      SERVER_COMPRESSION_MIN_BYTES: '2048',
    }).server;
    expect(server).toEqual({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 3_000,
      keepAliveTimeoutMs: 1_000,
      idleTimeoutMs: 4_000,
      maxConnections: 50,
      maxConcurrentOperations: 8,
      maxConcurrentIds: 600,
      queueTimeoutMs: 0,
      compression: { minBytes: 2_048 },
    });
    expect(problemsOf({ MAX_CONCURRENT_IDS: '499' })).toEqual([
      'MAX_CONCURRENT_IDS must be at least LIMIT_MAX_IDS_PER_OPERATION, or no operation at the budget could run',
    ]);
    expect(
      loadConfig({ MAX_CONCURRENT_IDS: '100', LIMIT_MAX_IDS_PER_OPERATION: '100' }).server.maxConcurrentIds,
    ).toBe(100);
    expect(problemsOf({ MAX_CONCURRENT_IDS: '0' })).toEqual([
      'MAX_CONCURRENT_IDS must be an integer 1-10000000, got "0"',
    ]);
    expect(problemsOf({ MAX_CONNECTIONS: '0', SERVER_IDLE_TIMEOUT_MS: 'soon' })).toEqual([
      'SERVER_IDLE_TIMEOUT_MS must be an integer 1-300000, got "soon"',
      'MAX_CONNECTIONS must be an integer 1-1000000, got "0"',
    ]);
    expect(problemsOf({ SERVER_HEADERS_TIMEOUT_MS: '30000', SERVER_REQUEST_TIMEOUT_MS: '20000' })).toEqual([
      'SERVER_HEADERS_TIMEOUT_MS must not exceed SERVER_REQUEST_TIMEOUT_MS',
    ]);
  });
});

// Issue 13: every value is checked once, on its own; a check across settings still runs beside a
// refused value, as long as the values it compares held their own checks.
describe('loadConfig: checks across settings beside refused values (issue 13)', () => {
  it('are listed in the same message, after the values refused on their own', () => {
    expect(
      problemsOf({
        SERVER_HEADERS_TIMEOUT_MS: '30000',
        SERVER_REQUEST_TIMEOUT_MS: '20000',
        MAX_CONNECTIONS: '0',
      }),
    ).toEqual([
      'MAX_CONNECTIONS must be an integer 1-1000000, got "0"',
      'SERVER_HEADERS_TIMEOUT_MS must not exceed SERVER_REQUEST_TIMEOUT_MS',
    ]);
    expect(problemsOf({ GRAPHIQL: 'true', GRAPHQL_INTROSPECTION: 'false', PORT: 'abc' })).toEqual([
      'PORT must be a port number 0-65535, got "abc"',
      'GRAPHIQL=true needs introspection: set GRAPHQL_INTROSPECTION=true as well',
    ]);
  });

  it('are skipped when a value they compare was refused itself', () => {
    expect(problemsOf({ SERVER_HEADERS_TIMEOUT_MS: '30000', SERVER_REQUEST_TIMEOUT_MS: 'soon' })).toEqual([
      'SERVER_REQUEST_TIMEOUT_MS must be an integer 1-300000, got "soon"',
    ]);
    expect(
      problemsOf({
        NODE_ENV: 'production',
        XDR_EMULATOR: 'true',
        GRAPHIQL: 'true',
        GRAPHQL_INTROSPECTION: 'no',
      }),
    ).toEqual(['GRAPHQL_INTROSPECTION must be true or false, got "no"']);
    // A refused XDR_REGION is still a given one: no "is required" beside it.
    expect(problemsOf({ XDR_REGION: 'mars', XDR_CLIENT_ID: 'id', XDR_CLIENT_SECRET: 's' })).toEqual([
      'XDR_REGION must be one of us, eu, apjc, got "mars"',
    ]);
  });
});
