import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import type { AuthConfig } from './auth/authenticate.js';
import type { CacheSettings } from './cache/create-cache.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_BODY_BYTES, type OperationLimits } from './security/plugins.js';
import { REGION_BASE_URLS, REGIONS, resolveBaseUrl, type Region } from './upstream/regions.js';

// The only reader of process.env (through main.ts). Every setting, its default and its meaning is
// listed in the README's configuration table; keep the two in step.

export type UpstreamConfig =
  | { mode: 'emulator'; emulatorPort: number }
  | { mode: 'cisco'; baseUrl: string; region?: Region; clientId: string; clientSecret: string };

export interface Config {
  host: string;
  port: number;
  upstream: UpstreamConfig;
  /** Per-attempt timeout of an upstream call. */
  upstreamTimeoutMs: number;
  /** Upstream resilience: deadline per operation, read retries, circuit breaker, body cap. */
  resilience: ResilienceConfig;
  /** Most ids one `users(ids:)` field accepts. */
  maxUserIds: number;
  /** NODE_ENV=production: introspection and GraphiQL default to off. */
  production: boolean;
  /** Caller authentication (AUTH_MODE and its settings). */
  auth: AuthConfig;
  /** Cross-request user cache, coalescing and quota guard; undefined when CACHE_ENABLED=false. */
  cache: CacheSettings | undefined;
  security: {
    limits: OperationLimits;
    maxBodyBytes: number;
    introspection: boolean;
    graphiql: boolean;
    cors: CorsPolicy;
    /** FEDERATION_SDL=true: `_service { sdl }` answers even with introspection off. */
    federationSdl: boolean;
  };
  /** Logs, probes, shutdown and tracing (src/observability/). */
  operations: OperationsConfig;
  /** The HTTP server: connection shedding and the bound on concurrent operations. */
  server: ServerConfig;
  /**
   * Outside production: unknown settings with one of the gateway's prefixes, one line each (main.ts
   * logs them loudly). In production the same names stop the start instead.
   */
  warnings: string[];
}

/** What the HTTP server tolerates from a client before it drops the connection (src/server/). */
export interface ServerConfig {
  /** SERVER_HEADERS_TIMEOUT_MS: a request's headers must be in within this of its first byte. */
  headersTimeoutMs: number;
  /** SERVER_REQUEST_TIMEOUT_MS: a whole request (headers and body) must be in within this. */
  requestTimeoutMs: number;
  /** SERVER_KEEP_ALIVE_TIMEOUT_MS: an idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** SERVER_IDLE_TIMEOUT_MS: a socket with no traffic and no request in flight is closed after this. */
  idleTimeoutMs: number;
  /** MAX_CONNECTIONS: sockets beyond this are closed at once. */
  maxConnections: number;
  /** MAX_CONCURRENT_OPERATIONS: GraphQL requests executing at once; default sized from the heap. */
  maxConcurrentOperations: number;
  /** SERVER_QUEUE_TIMEOUT_MS: how long a request waits for a free slot before 503 OVERLOADED. */
  queueTimeoutMs: number;
}

/** Cross-origin access (CORS_ORIGINS): exact origins, any origin without credentials, or none. */
export type CorsPolicy =
  { mode: 'none' } | { mode: 'loopback' } | { mode: 'any' } | { mode: 'list'; origins: string[] };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface OperationsConfig {
  logLevel: string;
  /** How long one /readyz outcome is served to every probe (0: check every time). */
  readinessCacheMs: number;
  /** After SIGTERM/SIGINT, in-flight requests get this long before their connections are cut. */
  shutdownTimeoutMs: number;
  /**
   * OpenTelemetry traces: on when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT or OTEL_TRACES_EXPORTER asks
   * for an exporter (and OTEL_SDK_DISABLED is not true). The SDK reads the OTEL_* settings itself.
   */
  tracing: boolean;
  /** OTEL_SERVICE_NAME, default xdr-user-gateway. */
  serviceName: string;
}

/** Algorithms a JWKS can verify; symmetric ones (HS*) and "none" are never accepted. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export interface ResilienceConfig {
  operationDeadlineMs: number;
  retryMaxAttempts: number;
  retryBaseDelayMs: number;
  maxRetryAfterSec: number;
  retryBudgetPercent: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  maxBodyBytes: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const port = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a port number 0-65535, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const positiveInt = (name: string, fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer 1-${max}, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const intInRange = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer ${min}-${max}, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const bool = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return undefined;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got "${value}"` });
      return z.NEVER;
    });

const ratio = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(value) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a number in (0, 1], got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const envSchema = z.object({
  HOST: z.string().optional(),
  PORT: port('PORT', 4000),
  EMULATOR_PORT: port('EMULATOR_PORT', 4001),
  XDR_REGION: z.string().optional(),
  XDR_BASE_URL: z.string().optional(),
  XDR_CLIENT_ID: z.string().optional(),
  XDR_CLIENT_SECRET: z.string().optional(),
  UPSTREAM_TIMEOUT_MS: positiveInt('UPSTREAM_TIMEOUT_MS', 10_000, 300_000),
  USERS_MAX_IDS: positiveInt('USERS_MAX_IDS', 500, 10_000),
  UPSTREAM_OPERATION_DEADLINE_MS: positiveInt('UPSTREAM_OPERATION_DEADLINE_MS', 15_000, 600_000),
  UPSTREAM_RETRY_MAX_ATTEMPTS: positiveInt('UPSTREAM_RETRY_MAX_ATTEMPTS', 3, 10),
  UPSTREAM_RETRY_BASE_DELAY_MS: intInRange('UPSTREAM_RETRY_BASE_DELAY_MS', 100, 0, 60_000),
  UPSTREAM_MAX_RETRY_AFTER_SEC: intInRange('UPSTREAM_MAX_RETRY_AFTER_SEC', 2, 0, 60),
  UPSTREAM_RETRY_BUDGET_PERCENT: intInRange('UPSTREAM_RETRY_BUDGET_PERCENT', 20, 0, 100),
  UPSTREAM_BREAKER_FAILURES: positiveInt('UPSTREAM_BREAKER_FAILURES', 5, 1000),
  UPSTREAM_BREAKER_COOLDOWN_MS: positiveInt('UPSTREAM_BREAKER_COOLDOWN_MS', 5_000, 600_000),
  UPSTREAM_MAX_BODY_BYTES: positiveInt('UPSTREAM_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024 * 1024 * 1024),
  NODE_ENV: z.string().optional(),
  XDR_EMULATOR: bool('XDR_EMULATOR'),
  AUTH_MODE: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || ['none', 'jwt', 'forward'].includes(v), {
      message: 'AUTH_MODE must be none, jwt or forward',
    }),
  AUTH_ALLOW_NONE: bool('AUTH_ALLOW_NONE'),
  AUTH_JWKS_URL: z.string().optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  AUTH_ALGORITHMS: z
    .string()
    .optional()
    .refine((v) => !v || v.split(',').every((a) => ASYMMETRIC_ALGORITHMS.includes(a.trim())), {
      message: `AUTH_ALGORITHMS must be a comma-separated list of ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
    }),
  AUTH_ORG_ID: z.string().optional(),
  AUTH_ORG_CLAIM: z.string().optional(),
  AUTH_CLOCK_TOLERANCE_SEC: z
    .string()
    .optional()
    .refine((v) => !v || (/^\d+$/.test(v) && Number(v) <= 300), {
      message: 'AUTH_CLOCK_TOLERANCE_SEC must be an integer 0-300',
    }),
  LIMIT_MAX_DEPTH: positiveInt('LIMIT_MAX_DEPTH', DEFAULT_LIMITS.maxDepth, 100),
  LIMIT_MAX_ALIASES: positiveInt('LIMIT_MAX_ALIASES', DEFAULT_LIMITS.maxAliases, 10_000),
  LIMIT_MAX_TOKENS: positiveInt('LIMIT_MAX_TOKENS', DEFAULT_LIMITS.maxTokens, 1_000_000),
  LIMIT_MAX_DIRECTIVES: positiveInt('LIMIT_MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives, 10_000),
  LIMIT_MAX_COST: positiveInt('LIMIT_MAX_COST', DEFAULT_LIMITS.maxCost, 100_000_000),
  LIMIT_MAX_IDS_PER_OPERATION: positiveInt(
    'LIMIT_MAX_IDS_PER_OPERATION',
    DEFAULT_LIMITS.maxIdsPerOperation,
    100_000,
  ),
  LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION: positiveInt(
    'LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION',
    DEFAULT_LIMITS.maxUpstreamCallsPerOperation,
    1_000,
  ),
  MAX_BODY_BYTES: positiveInt('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 100_000_000),
  GRAPHQL_INTROSPECTION: bool('GRAPHQL_INTROSPECTION'),
  GRAPHIQL: bool('GRAPHIQL'),
  FEDERATION_SDL: bool('FEDERATION_SDL'),
  CORS_ORIGINS: z.string().optional(),
  CACHE_ENABLED: bool('CACHE_ENABLED'),
  CACHE_TTL_MS: positiveInt('CACHE_TTL_MS', 30_000, 3_600_000),
  CACHE_MAX_ENTRIES: positiveInt('CACHE_MAX_ENTRIES', 10_000, 10_000_000),
  CACHE_COALESCE_WINDOW_MS: intInRange('CACHE_COALESCE_WINDOW_MS', 1, 0, 1_000),
  REDIS_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^rediss?:\/\/[^\s]+$/.test(v), {
      message: 'REDIS_URL must be a redis:// or rediss:// URL',
    }),
  QUOTA_PER_HOUR: intInRange('QUOTA_PER_HOUR', 8_000, 0, 10_000_000),
  QUOTA_GUARD_RATIO: ratio('QUOTA_GUARD_RATIO', 0.95),
  QUOTA_CALLER_SHARE: ratio('QUOTA_CALLER_SHARE', 0.25),
  LOG_LEVEL: z
    .string()
    .optional()
    .refine((v) => !v || LOG_LEVELS.includes(v), {
      message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`,
    }),
  READINESS_CACHE_MS: intInRange('READINESS_CACHE_MS', 10_000, 0, 600_000),
  SHUTDOWN_TIMEOUT_MS: intInRange('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  SERVER_HEADERS_TIMEOUT_MS: positiveInt('SERVER_HEADERS_TIMEOUT_MS', 10_000, 300_000),
  SERVER_REQUEST_TIMEOUT_MS: positiveInt('SERVER_REQUEST_TIMEOUT_MS', 20_000, 300_000),
  SERVER_KEEP_ALIVE_TIMEOUT_MS: positiveInt('SERVER_KEEP_ALIVE_TIMEOUT_MS', 5_000, 300_000),
  SERVER_IDLE_TIMEOUT_MS: positiveInt('SERVER_IDLE_TIMEOUT_MS', 15_000, 300_000),
  SERVER_QUEUE_TIMEOUT_MS: intInRange('SERVER_QUEUE_TIMEOUT_MS', 1_000, 0, 60_000),
  MAX_CONNECTIONS: positiveInt('MAX_CONNECTIONS', 1_000, 1_000_000),
  MAX_CONCURRENT_OPERATIONS: positiveInt('MAX_CONCURRENT_OPERATIONS', 0, 100_000),
});

/**
 * Settings read elsewhere that share the gateway's prefixes: the standalone emulator's own
 * (src/emulator/main.ts). Known, so never reported as unknown.
 */
const OTHER_KNOWN_SETTINGS = [
  'EMULATOR_TOKEN_LIFETIME_SEC',
  'EMULATOR_RATE_LIMIT',
  'EMULATOR_RATE_WINDOW_SEC',
];

/** An environment variable with one of these prefixes is meant for the gateway; an unknown one is a typo. */
export const SETTING_PREFIXES = [
  'XDR_',
  'AUTH_',
  'CACHE_',
  'UPSTREAM_',
  'LIMIT_',
  'QUOTA_',
  'REDIS_',
  'CORS_',
  'EMULATOR_',
  'SERVER_',
  'MAX_',
  'USERS_',
  'GRAPHQL_',
  'GRAPHIQL',
  'FEDERATION_',
  'LOG_',
  'READINESS_',
  'SHUTDOWN_',
];

export const KNOWN_SETTINGS: readonly string[] = [...Object.keys(envSchema.shape), ...OTHER_KNOWN_SETTINGS];

/** The Cisco claim that names a token's organisation (AUTH_ORG_CLAIM's default). */
export const CISCO_ORG_CLAIM = 'https://schemas.cisco.com/iroh/identity/claims/org/id';

/**
 * MAX_CONCURRENT_OPERATIONS' default: one executing operation per 8 MB of heap (an operation at the
 * per-operation budget's maximum holds a few MB), between 4 and 256. 16 under start:prod's 128 MB.
 */
export function defaultMaxConcurrentOperations(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.min(256, Math.max(4, Math.floor(heapLimitBytes / (8 * 1024 * 1024))));
}

/**
 * Parses and validates the environment once. Throws a ConfigError that lists every problem, naming
 * each setting; the message never repeats a secret's value. An empty value is a missing value.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  const e = parsed.success ? parsed.data : undefined;
  const production = env.NODE_ENV === 'production';
  const unknown = unknownSettings(env);
  // In production a misspelt setting could silently weaken the gateway (AUTH_MODES=jwt): refuse it.
  if (production) problems.push(...unknown);
  const upstream = resolveUpstream(env, production, problems);
  const auth = resolveAuth(env, upstream, production, problems);
  const introspection = e?.GRAPHQL_INTROSPECTION ?? !production;
  const graphiql = e?.GRAPHIQL ?? !production;
  if (graphiql && !introspection) {
    problems.push('GRAPHIQL=true needs introspection: set GRAPHQL_INTROSPECTION=true as well');
  }
  const cors = resolveCors(env.CORS_ORIGINS, production, upstream?.mode, problems);
  if (e && e.SERVER_HEADERS_TIMEOUT_MS > e.SERVER_REQUEST_TIMEOUT_MS) {
    problems.push('SERVER_HEADERS_TIMEOUT_MS must not exceed SERVER_REQUEST_TIMEOUT_MS');
  }
  if (!e || !upstream || !auth || !cors || problems.length > 0) throw new ConfigError(problems);
  return {
    host: e.HOST || '127.0.0.1',
    port: e.PORT,
    upstream: upstream.mode === 'emulator' ? { mode: 'emulator', emulatorPort: e.EMULATOR_PORT } : upstream,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    resilience: {
      operationDeadlineMs: e.UPSTREAM_OPERATION_DEADLINE_MS,
      retryMaxAttempts: e.UPSTREAM_RETRY_MAX_ATTEMPTS,
      retryBaseDelayMs: e.UPSTREAM_RETRY_BASE_DELAY_MS,
      maxRetryAfterSec: e.UPSTREAM_MAX_RETRY_AFTER_SEC,
      retryBudgetPercent: e.UPSTREAM_RETRY_BUDGET_PERCENT,
      breakerFailures: e.UPSTREAM_BREAKER_FAILURES,
      breakerCooldownMs: e.UPSTREAM_BREAKER_COOLDOWN_MS,
      maxBodyBytes: e.UPSTREAM_MAX_BODY_BYTES,
    },
    maxUserIds: e.USERS_MAX_IDS,
    production,
    auth,
    cache:
      e.CACHE_ENABLED === false
        ? undefined
        : {
            ttlMs: e.CACHE_TTL_MS,
            maxEntries: e.CACHE_MAX_ENTRIES,
            coalesceWindowMs: e.CACHE_COALESCE_WINDOW_MS,
            redisUrl: e.REDIS_URL || undefined,
            quotaPerHour: e.QUOTA_PER_HOUR,
            quotaGuardRatio: e.QUOTA_GUARD_RATIO,
            callerShare: e.QUOTA_CALLER_SHARE,
          },
    security: {
      limits: {
        maxDepth: e.LIMIT_MAX_DEPTH,
        maxAliases: e.LIMIT_MAX_ALIASES,
        maxTokens: e.LIMIT_MAX_TOKENS,
        maxDirectives: e.LIMIT_MAX_DIRECTIVES,
        maxCost: e.LIMIT_MAX_COST,
        maxIdsPerOperation: e.LIMIT_MAX_IDS_PER_OPERATION,
        maxUpstreamCallsPerOperation: e.LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION,
      },
      maxBodyBytes: e.MAX_BODY_BYTES,
      introspection,
      graphiql,
      cors,
      federationSdl: e.FEDERATION_SDL ?? false,
    },
    operations: {
      logLevel: e.LOG_LEVEL || 'info',
      readinessCacheMs: e.READINESS_CACHE_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      tracing: tracingRequested(env),
      serviceName: env.OTEL_SERVICE_NAME || 'xdr-user-gateway',
    },
    server: {
      headersTimeoutMs: e.SERVER_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.SERVER_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.SERVER_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.SERVER_IDLE_TIMEOUT_MS,
      maxConnections: e.MAX_CONNECTIONS,
      maxConcurrentOperations: e.MAX_CONCURRENT_OPERATIONS || defaultMaxConcurrentOperations(),
      queueTimeoutMs: e.SERVER_QUEUE_TIMEOUT_MS,
    },
    warnings: production ? [] : unknown,
  };
}

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
 * The known setting nearest to `name` by edit distance (Levenshtein). Written here rather than taken
 * from a package: a dozen lines, run once at start over some sixty names.
 */
function closestSetting(name: string): string {
  let best = KNOWN_SETTINGS[0] as string;
  let bestDistance = Infinity;
  for (const known of KNOWN_SETTINGS) {
    const d = editDistance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

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

/**
 * CORS_ORIGINS: `*` (any origin, never with credentials) or a comma-separated list of exact origins.
 * Unset: none in production or against Cisco; loopback origins only over the embedded emulator.
 */
function resolveCors(
  value: string | undefined,
  production: boolean,
  upstreamMode: 'emulator' | 'cisco' | undefined,
  problems: string[],
): CorsPolicy | undefined {
  if (value === undefined || value.trim() === '') {
    return !production && upstreamMode === 'emulator' ? { mode: 'loopback' } : { mode: 'none' };
  }
  if (value.trim() === '*') return { mode: 'any' };
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const bad = origins.filter((origin) => !isOrigin(origin));
  if (bad.length > 0) {
    problems.push(
      `CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com (scheme, host and port only), got ${bad.map((o) => `"${o}"`).join(', ')}`,
    );
    return undefined;
  }
  return { mode: 'list', origins };
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** Whether the standard OpenTelemetry environment asks for trace export. */
function tracingRequested(env: Record<string, string | undefined>): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  return (
    exporters.length > 0 || !!env.OTEL_EXPORTER_OTLP_ENDPOINT || !!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  );
}

function resolveAuth(
  env: Record<string, string | undefined>,
  upstream: UpstreamConfig | { mode: 'emulator' } | undefined,
  production: boolean,
  problems: string[],
): AuthConfig | undefined {
  const upstreamMode = upstream?.mode;
  const mode = env.AUTH_MODE || 'none';
  const clockToleranceSec = Number(env.AUTH_CLOCK_TOLERANCE_SEC || 5);
  if (mode !== 'jwt') {
    for (const name of ['AUTH_ORG_ID', 'AUTH_ORG_CLAIM']) {
      if (env[name]) problems.push(`${name} applies to AUTH_MODE=jwt only`);
    }
  }
  if (mode === 'none') {
    // An open door is fine in front of the embedded emulator, never in front of a real org.
    if (upstreamMode === 'cisco' && production) {
      problems.push('AUTH_MODE=none is refused with NODE_ENV=production against Cisco: use jwt or forward');
    } else if (upstreamMode === 'cisco' && env.AUTH_ALLOW_NONE !== 'true' && env.AUTH_ALLOW_NONE !== '1') {
      problems.push(
        'AUTH_MODE=none against Cisco needs AUTH_ALLOW_NONE=true (or use AUTH_MODE=jwt or forward)',
      );
    }
    return { mode: 'none' };
  }
  if (mode === 'forward') {
    // Callers' tokens are the User API's own: verified against its JWKS (the authenticator derives
    // that URL from the upstream's) with its region host as issuer and audience.
    if (!upstream) return undefined;
    const host = upstreamTokenHost(upstream);
    return { mode: 'forward', issuer: host, audience: host, clockToleranceSec };
  }
  if (mode !== 'jwt') return undefined;
  const before = problems.length;
  const jwksUrl = env.AUTH_JWKS_URL || '';
  if (!jwksUrl) problems.push('AUTH_JWKS_URL is required with AUTH_MODE=jwt');
  else if (!isHttpUrl(jwksUrl, { query: true })) problems.push('AUTH_JWKS_URL must be an http(s) URL');
  if (!env.AUTH_ISSUER) problems.push('AUTH_ISSUER is required with AUTH_MODE=jwt');
  if (!env.AUTH_AUDIENCE) problems.push('AUTH_AUDIENCE is required with AUTH_MODE=jwt');
  const orgId = env.AUTH_ORG_ID || undefined;
  if (orgId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9:._-]{0,255}$/.test(orgId)) {
    problems.push('AUTH_ORG_ID must be an organisation id (letters, digits, ":", ".", "_", "-")');
  }
  const orgClaimSetting = env.AUTH_ORG_CLAIM || CISCO_ORG_CLAIM;
  if (problems.length > before) return undefined;
  return {
    mode: 'jwt',
    jwksUrl,
    issuer: env.AUTH_ISSUER as string,
    audience: env.AUTH_AUDIENCE as string,
    algorithms: (env.AUTH_ALGORITHMS || 'RS256,ES256').split(',').map((a) => a.trim()),
    clockToleranceSec,
    // `none`: a single-tenant issuer (a company IdP whose audience is this gateway alone) whose
    // tokens name no org; every verified caller is then bound to the gateway's own org.
    orgClaim: orgClaimSetting === 'none' ? null : orgClaimSetting,
    ...(orgId ? { orgId } : {}),
  };
}

/**
 * The `iss` (and `aud`) of the upstream's access tokens: its region's host. The embedded emulator
 * signs as `us`; an XDR_BASE_URL that is one of Cisco's hosts names its region, any other (a proxy, a
 * standalone emulator) is taken to be XDR_REGION's, default `us` like the emulator's.
 */
function upstreamTokenHost(upstream: UpstreamConfig | { mode: 'emulator' }): string {
  if (upstream.mode !== 'cisco') return REGION_BASE_URLS.us;
  const origin = new URL(upstream.baseUrl).origin;
  return (
    Object.values(REGION_BASE_URLS).find((host) => host === origin) ??
    REGION_BASE_URLS[upstream.region ?? 'us']
  );
}

function resolveUpstream(
  env: Record<string, string | undefined>,
  production: boolean,
  problems: string[],
): UpstreamConfig | { mode: 'emulator' } | undefined {
  const given = (name: string) => (env[name] ?? '') !== '';
  const cisco = ['XDR_REGION', 'XDR_BASE_URL', 'XDR_CLIENT_ID', 'XDR_CLIENT_SECRET'];
  const emulatorAsked = env.XDR_EMULATOR === 'true' || env.XDR_EMULATOR === '1';
  if (!cisco.some(given)) {
    // Production never falls back to the emulator (open to every caller, test controls on): only
    // an explicit XDR_EMULATOR=true starts it there.
    if (production && !emulatorAsked) {
      problems.push(
        'NODE_ENV=production needs the Cisco settings (XDR_REGION or XDR_BASE_URL, XDR_CLIENT_ID, XDR_CLIENT_SECRET); to run the embedded emulator instead, set XDR_EMULATOR=true',
      );
      return undefined;
    }
    if (env.XDR_EMULATOR === 'false' || env.XDR_EMULATOR === '0') {
      problems.push(
        'XDR_EMULATOR=false needs the Cisco settings (XDR_REGION or XDR_BASE_URL, XDR_CLIENT_ID, XDR_CLIENT_SECRET)',
      );
      return undefined;
    }
    return { mode: 'emulator' };
  }
  if (emulatorAsked) {
    problems.push(
      'XDR_EMULATOR=true cannot be combined with the Cisco settings (XDR_REGION, XDR_BASE_URL, …)',
    );
  }

  const before = problems.length;
  const region = env.XDR_REGION || undefined;
  const baseUrl = env.XDR_BASE_URL || undefined;
  if (region !== undefined && !(REGIONS as readonly string[]).includes(region)) {
    problems.push(`XDR_REGION must be one of ${REGIONS.join(', ')}, got "${region}"`);
  }
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    problems.push('XDR_BASE_URL must be an http(s) URL without credentials, query or fragment');
  }
  if (region === undefined && baseUrl === undefined) {
    problems.push('XDR_REGION (us, eu or apjc) or XDR_BASE_URL is required when the XDR_* settings are used');
  }
  if (!given('XDR_CLIENT_ID')) problems.push('XDR_CLIENT_ID is required when the XDR_* settings are used');
  if (!given('XDR_CLIENT_SECRET')) {
    problems.push('XDR_CLIENT_SECRET is required when the XDR_* settings are used');
  }
  if (problems.length > before) return undefined;
  return {
    mode: 'cisco',
    baseUrl: resolveBaseUrl({ region: region as Region | undefined, baseUrl }),
    ...(region ? { region: region as Region } : {}),
    clientId: env.XDR_CLIENT_ID as string,
    clientSecret: env.XDR_CLIENT_SECRET as string,
  };
}

function isHttpUrl(value: string, allow: { query?: boolean } = {}): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      !url.username &&
      !url.password &&
      (allow.query || !url.search) &&
      !url.hash
    );
  } catch {
    return false;
  }
}
