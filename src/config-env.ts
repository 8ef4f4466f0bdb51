import { z } from 'zod';
import { DEFAULT_COMPRESSION_MIN_BYTES, DEFAULT_LIMITS, DEFAULT_MAX_BODY_BYTES } from './limits.js';
import type { CorsPolicy, UpstreamConfig } from './config.js';
import { REGIONS, resolveBaseUrl } from './upstream/regions.js';

// The gateway's one reader of the environment: each variable is read once, here, and checked by the
// helper of its kind; loadConfig (config.ts) works from the parsed values alone, starting with the
// upstream the XDR_* settings name (resolveUpstream). docs/configuration.md lists every setting.

type Refuse = (got?: string) => never;

/**
 * The shape every setting shares: unset or empty takes `fallback`, any other value goes through
 * `read`. A refusal reads `NAME must be EXPECTED`, then `, got …` when `read` passes what it was
 * given (never a value that may carry a secret, such as a URL).
 */
function setting<T, F>(expected: string, fallback: F, read: (value: string, refuse: Refuse) => T) {
  return (name: string) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value === '') return fallback;
        return read(value, (got) => {
          const message = `${name} must be ${expected}${got ? `, got ${got}` : ''}`;
          ctx.addIssue({ code: 'custom', message });
          return z.NEVER;
        });
      });
}

const quote = (value: string) => `"${value}"`;
const isInt = (v: string, min: number, max: number) => /^\d+$/.test(v) && +v >= min && +v <= max;

/** `echo: false` leaves the value out of the message (AUTH_CLOCK_TOLERANCE_SEC's wording). */
const int = <F extends number | undefined>(fallback: F, min: number, max: number, { echo = true } = {}) =>
  setting(`an integer ${min}-${max}`, fallback, (v, refuse) =>
    isInt(v, min, max) ? Number(v) : refuse(echo ? quote(v) : undefined),
  );

const port = (fallback: number) =>
  setting('a port number 0-65535', fallback, (v, refuse) =>
    isInt(v, 0, 65535) ? Number(v) : refuse(quote(v)),
  );

const bool = () =>
  setting('true or false', undefined, (v, refuse) =>
    v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : refuse(quote(v)),
  );

/** A share in (0, 1], written as a plain decimal. */
const ratio = (fallback: number) =>
  setting('a number in (0, 1]', fallback, (v, refuse) =>
    /^(0(\.\d+)?|1(\.0+)?)$/.test(v) && Number(v) > 0 ? Number(v) : refuse(quote(v)),
  );

const isOneOf = <V extends string>(values: readonly V[], value: string): value is V =>
  (values as readonly string[]).includes(value);

const oneOf = <V extends string, F extends V | undefined>(
  values: readonly V[],
  fallback: F,
  { expected = `one of ${values.join(', ')}`, echo = false } = {},
) =>
  setting(expected, fallback, (v, refuse) => (isOneOf(values, v) ? v : refuse(echo ? quote(v) : undefined)));

/** Comma-separated entries, each trimmed and one of `values`; a blank one is refused like any bad one. */
const listOf = <V extends string>(values: readonly V[], fallback: V[]) =>
  setting(`a comma-separated list of ${values.join(', ')}`, fallback, (v, refuse) => {
    const items = v.split(',').map((item) => item.trim());
    return items.every((item) => isOneOf(values, item)) ? (items as V[]) : refuse();
  });

/**
 * CORS_ORIGINS: `*` (any origin, never with credentials) or exact origins, blank entries skipped (an
 * empty list admits none), each bad one named. Unset or blank: loadConfig picks by mode.
 */
const ORIGINS =
  '* or a comma-separated list of origins such as https://app.example.com (scheme, host and port only)';
const origins = () =>
  setting(ORIGINS, undefined, (v, refuse): CorsPolicy | undefined => {
    if (v.trim() === '*') return { mode: 'any' };
    const items = v.split(',').flatMap((item) => item.trim() || []);
    const bad = items.filter((item) => !isOrigin(item));
    if (bad.length > 0) return refuse(bad.map(quote).join(', '));
    return v.trim() === '' ? undefined : { mode: 'list', origins: items };
  });

/** A URL held to `isValid`; the message never repeats it (a URL may carry credentials). */
const url = (expected: string, isValid: (value: string) => boolean) =>
  setting(expected, undefined, (v, refuse) => (isValid(v) ? v : refuse()));

/** Text checked only against other settings (required with, applies to, …: config.ts). */
const text = () => setting('', undefined, (v) => v);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Algorithms a JWKS can verify; symmetric ones (HS*) and "none" are never accepted. */
export const ASYMMETRIC_ALGORITHMS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA'.split(' ');

// In this order the problems are listed, and the unknown-setting hints pick among equals.
const SETTINGS = {
  HOST: text(),
  PORT: port(4000),
  EMULATOR_PORT: port(4001),
  XDR_REGION: oneOf(REGIONS, undefined, { echo: true }),
  XDR_BASE_URL: url('an http(s) URL without credentials, query or fragment', (v) => isHttpUrl(v)),
  XDR_CLIENT_ID: text(),
  XDR_CLIENT_SECRET: text(),
  UPSTREAM_TIMEOUT_MS: int(10_000, 1, 300_000),
  UPSTREAM_CONNECTIONS: int(128, 1, 1024),
  USERS_MAX_IDS: int(500, 1, 10_000),
  UPSTREAM_OPERATION_DEADLINE_MS: int(15_000, 1, 600_000),
  UPSTREAM_RETRY_MAX_ATTEMPTS: int(3, 1, 10),
  UPSTREAM_RETRY_BASE_DELAY_MS: int(100, 0, 60_000),
  UPSTREAM_MAX_RETRY_AFTER_SEC: int(2, 0, 60),
  UPSTREAM_RETRY_BUDGET_PERCENT: int(20, 0, 100),
  UPSTREAM_BREAKER_FAILURES: int(5, 1, 1000),
  UPSTREAM_BREAKER_COOLDOWN_MS: int(5_000, 1, 600_000),
  UPSTREAM_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
  NODE_ENV: text(),
  XDR_EMULATOR: bool(),
  AUTH_MODE: oneOf(['none', 'jwt', 'forward'], 'none', { expected: 'none, jwt or forward' }),
  AUTH_ALLOW_NONE: bool(),
  AUTH_JWKS_URL: text(),
  AUTH_ISSUER: text(),
  AUTH_AUDIENCE: text(),
  AUTH_ALGORITHMS: listOf(ASYMMETRIC_ALGORITHMS, ['RS256', 'ES256']),
  AUTH_ORG_ID: text(),
  AUTH_ORG_CLAIM: text(),
  AUTH_CLOCK_TOLERANCE_SEC: int(5, 0, 300, { echo: false }),
  LIMIT_MAX_DEPTH: int(DEFAULT_LIMITS.maxDepth, 1, 100),
  LIMIT_MAX_ALIASES: int(DEFAULT_LIMITS.maxAliases, 1, 10_000),
  LIMIT_MAX_TOKENS: int(DEFAULT_LIMITS.maxTokens, 1, 1_000_000),
  LIMIT_MAX_DIRECTIVES: int(DEFAULT_LIMITS.maxDirectives, 1, 10_000),
  LIMIT_MAX_COST: int(DEFAULT_LIMITS.maxCost, 1, 100_000_000),
  LIMIT_MAX_IDS_PER_OPERATION: int(DEFAULT_LIMITS.maxIdsPerOperation, 1, 100_000),
  LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION: int(DEFAULT_LIMITS.maxUpstreamCallsPerOperation, 1, 1_000),
  MAX_BODY_BYTES: int(DEFAULT_MAX_BODY_BYTES, 1, 100_000_000),
  GRAPHQL_INTROSPECTION: bool(),
  GRAPHIQL: bool(),
  FEDERATION_SDL: bool(),
  CORS_ORIGINS: origins(),
  PERSISTED_OPERATIONS: oneOf(['allow', 'only'], 'allow', { echo: true }),
  PERSISTED_DOCUMENTS: text(),
  CACHE_ENABLED: bool(),
  CACHE_TTL_MS: int(30_000, 1, 3_600_000),
  CACHE_MAX_ENTRIES: int(10_000, 1, 10_000_000),
  CACHE_COALESCE_WINDOW_MS: int(1, 0, 1_000),
  CACHE_LOCAL_TTL_MS: int(1_000, 0, 60_000),
  REDIS_URL: url('a redis:// or rediss:// URL', (v) => /^rediss?:\/\/[^\s]+$/.test(v)),
  QUOTA_PER_HOUR: int(8_000, 0, 10_000_000),
  QUOTA_GUARD_RATIO: ratio(0.95),
  QUOTA_CALLER_SHARE: ratio(0.25),
  QUOTA_FALLBACK_REPLICAS: int(1, 1, 1_000),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  READINESS_CACHE_MS: int(10_000, 0, 600_000),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  SERVER_HEADERS_TIMEOUT_MS: int(10_000, 1, 300_000),
  SERVER_REQUEST_TIMEOUT_MS: int(20_000, 1, 300_000),
  SERVER_KEEP_ALIVE_TIMEOUT_MS: int(5_000, 1, 300_000),
  SERVER_IDLE_TIMEOUT_MS: int(15_000, 1, 300_000),
  SERVER_QUEUE_TIMEOUT_MS: int(1_000, 0, 60_000),
  SERVER_COMPRESSION: bool(),
  SERVER_COMPRESSION_MIN_BYTES: int(DEFAULT_COMPRESSION_MIN_BYTES, 0, 100_000_000),
  MAX_CONNECTIONS: int(1_000, 1, 1_000_000),
  // Unset: sized from the heap (config.ts).
  MAX_CONCURRENT_OPERATIONS: int(undefined, 1, 100_000),
  MAX_CONCURRENT_IDS: int(undefined, 1, 10_000_000),
  // The standard OpenTelemetry ones that decide whether tracing starts (the SDK reads them itself).
  OTEL_SDK_DISABLED: text(),
  OTEL_TRACES_EXPORTER: text(),
  OTEL_EXPORTER_OTLP_ENDPOINT: text(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: text(),
  OTEL_SERVICE_NAME: text(),
};

type Schemas = typeof SETTINGS;
export type Settings = { [K in keyof Schemas]: z.output<ReturnType<Schemas[K]>> };
export type SettingName = keyof Settings;

/**
 * Each setting that held its own check (`values`; unset: its default), all of them when none was
 * refused (`complete`), the refused ones (`invalid`) with one problem line each, in the order above,
 * and the unknown names. Parsed one by one rather than as one z.object: a refused value then costs
 * only its own result, and the checks across settings still see every value that held.
 */
export function parseEnvironment(env: Record<string, string | undefined>) {
  const values: Record<string, unknown> = {};
  const invalid = new Set<SettingName>();
  const problems: string[] = [];
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const parsed = SETTINGS[name](name).safeParse(env[name]);
    if (parsed.success) values[name] = parsed.data;
    else {
      invalid.add(name);
      problems.push(...parsed.error.issues.map((issue) => issue.message));
    }
  }
  // Filled above name by name, each from that name's schema: the Settings shape, less `invalid`.
  const settings = values as Partial<Settings>;
  const complete = invalid.size === 0 ? (settings as Settings) : undefined;
  return { values: settings, complete, invalid, problems, unknown: unknownSettings(env) };
}

const CISCO = 'the Cisco settings (XDR_REGION or XDR_BASE_URL, XDR_CLIENT_ID, XDR_CLIENT_SECRET)';

/**
 * The upstream the XDR_* settings name, or undefined after reporting why none. `held(name)`: that
 * setting passed its own check (a refused one still counts as given).
 */
export function resolveUpstream(
  s: Partial<Settings>,
  held: (...names: SettingName[]) => boolean,
  problems: string[],
): UpstreamConfig | undefined {
  const fail = (problem: string) => void problems.push(problem);
  const given = (name: SettingName) => s[name] !== undefined || !held(name);
  if (!(['XDR_REGION', 'XDR_BASE_URL', 'XDR_CLIENT_ID', 'XDR_CLIENT_SECRET'] as const).some(given)) {
    // Production never falls back to the emulator (open to every caller, test controls on): only
    // an explicit XDR_EMULATOR=true starts it there.
    if (s.NODE_ENV === 'production' && s.XDR_EMULATOR !== true) {
      return fail(
        `NODE_ENV=production needs ${CISCO}; to run the embedded emulator instead, set XDR_EMULATOR=true`,
      );
    }
    if (s.XDR_EMULATOR === false) return fail(`XDR_EMULATOR=false needs ${CISCO}`);
    return s.EMULATOR_PORT === undefined ? undefined : { mode: 'emulator', emulatorPort: s.EMULATOR_PORT };
  }
  if (s.XDR_EMULATOR === true) {
    fail('XDR_EMULATOR=true cannot be combined with the Cisco settings (XDR_REGION, XDR_BASE_URL, …)');
  }
  const before = problems.length;
  const { XDR_REGION: region, XDR_CLIENT_ID: clientId, XDR_CLIENT_SECRET: clientSecret } = s;
  if (!given('XDR_REGION') && !given('XDR_BASE_URL')) {
    fail('XDR_REGION (us, eu or apjc) or XDR_BASE_URL is required when the XDR_* settings are used');
  }
  if (!clientId) fail('XDR_CLIENT_ID is required when the XDR_* settings are used');
  if (!clientSecret) fail('XDR_CLIENT_SECRET is required when the XDR_* settings are used');
  if (problems.length > before || !held('XDR_REGION', 'XDR_BASE_URL') || !clientId || !clientSecret) return;
  const baseUrl = resolveBaseUrl({ region, baseUrl: s.XDR_BASE_URL });
  return { mode: 'cisco', baseUrl, ...(region && { region }), clientId, clientSecret };
}

/** The standalone emulator's own settings (src/emulator/main.ts): known, so never reported as unknown. */
const EMULATOR_SETTINGS = ['EMULATOR_TOKEN_LIFETIME_SEC', 'EMULATOR_RATE_LIMIT', 'EMULATOR_RATE_WINDOW_SEC'];

/** An environment variable with one of these prefixes is meant for the gateway; an unknown one is a typo. */
export const SETTING_PREFIXES = [
  ...['XDR_', 'AUTH_', 'CACHE_', 'UPSTREAM_', 'LIMIT_', 'QUOTA_', 'REDIS_', 'CORS_', 'EMULATOR_'],
  ...['SERVER_', 'MAX_', 'USERS_', 'GRAPHQL_', 'GRAPHIQL', 'FEDERATION_', 'LOG_', 'READINESS_', 'SHUTDOWN_'],
  'PERSISTED_',
];

/** The gateway's own settings, and the emulator's: the OpenTelemetry ones are never a typo's match. */
export const KNOWN_SETTINGS: readonly string[] = [
  ...Object.keys(SETTINGS).filter((name) => !name.startsWith('OTEL_')),
  ...EMULATOR_SETTINGS,
];

/** One line per set variable that has a gateway prefix but is no known setting, with the nearest name. */
function unknownSettings(env: Record<string, string | undefined>): string[] {
  return Object.keys(env)
    .filter((name) => env[name] !== undefined)
    .filter((name) => SETTING_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .filter((name) => !KNOWN_SETTINGS.includes(name))
    .sort()
    .map((name) => `${name} is not a setting of this gateway (did you mean ${closestSetting(name)}?)`);
}

/**
 * The known setting nearest to `name` by edit distance (Levenshtein), the first of equals. Written
 * here rather than taken from a package: a dozen lines, run once at start over some sixty names.
 */
const closestSetting = (name: string) =>
  KNOWN_SETTINGS.reduce((a, b) => (editDistance(name, b) < editDistance(name, a) ? b : a));

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] as number;
}

const isOrigin = (value: string) =>
  URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) && new URL(value).origin === value;

export function isHttpUrl(value: string, allow: { query?: boolean } = {}): boolean {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || url.username || url.password || url.hash || (url.search && !allow.query)) return false;
  return url.protocol === 'https:' || url.protocol === 'http:';
}
