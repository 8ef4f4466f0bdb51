import type { AuthConfig } from './auth/authenticate.js';
import type { CacheSettings } from './cache/create-cache.js';
import { isHttpUrl, parseEnvironment, resolveUpstream } from './config-env.js';
import type { SettingName, Settings } from './config-env.js';
import { defaultMaxConcurrentIds, defaultMaxConcurrentOperations, type OperationLimits } from './limits.js';
import { REGION_BASE_URLS, type Region } from './upstream/regions.js';

// loadConfig: the Config the gateway runs on, and the checks that span several settings. Each value
// is read and checked on its own in config-env.ts, the gateway's one reader of the environment
// (main.ts passes it process.env). docs/configuration.md lists every setting.

export type UpstreamConfig =
  | { mode: 'emulator'; emulatorPort: number }
  | { mode: 'cisco'; baseUrl: string; region?: Region; clientId: string; clientSecret: string };

export interface Config {
  host: string;
  port: number;
  upstream: UpstreamConfig;
  /** Per-attempt timeout of an upstream call. */
  upstreamTimeoutMs: number;
  /** Keep-alive connections to the upstream: how many calls can be in flight at once. */
  upstreamConnections: number;
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
    /** PERSISTED_OPERATIONS, and the manifest of trusted documents (PERSISTED_DOCUMENTS; unset: ours). */
    persisted: { mode: 'allow' | 'only'; documents: string | undefined };
  };
  /** Logs, probes, shutdown and tracing (src/observability/). */
  operations: OperationsConfig;
  /** The HTTP server: connection shedding and the bound on concurrent operations. */
  server: ServerConfig;
  /**
   * Outside production: unknown settings with one of the gateway's prefixes, one line each (main.ts
   * prints them, createGateway logs them). In production the same names stop the start instead.
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
  /** MAX_CONCURRENT_OPERATIONS: GraphQL requests in progress at once; default sized from the heap. */
  maxConcurrentOperations: number;
  /** MAX_CONCURRENT_IDS: users that executing operations may hold at once; default sized from the heap. */
  maxConcurrentIds: number;
  /** SERVER_QUEUE_TIMEOUT_MS: how long a request waits for a free slot before 503 OVERLOADED. */
  queueTimeoutMs: number;
  /** SERVER_COMPRESSION(_MIN_BYTES): br or gzip for responses of at least minBytes; false: never. */
  compression: { minBytes: number } | false;
}

/** Cross-origin access (CORS_ORIGINS): exact origins, any origin without credentials, or none. */
export type CorsPolicy =
  { mode: 'none' } | { mode: 'loopback' } | { mode: 'any' } | { mode: 'list'; origins: string[] };

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

/** The Cisco claim that names a token's organisation (AUTH_ORG_CLAIM's default). */
export const CISCO_ORG_CLAIM = 'https://schemas.cisco.com/iroh/identity/claims/org/id';

/**
 * Parses and validates the environment once. Throws a ConfigError that lists every problem, naming
 * each setting; the message never repeats a secret's value. An empty value is a missing value. A
 * check across settings runs whenever the values it compares held their own checks.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const { values: s, complete: e, invalid, problems, unknown } = parseEnvironment(env);
  const production = s.NODE_ENV === 'production';
  // In production a misspelt setting could silently weaken the gateway (AUTH_MODES=jwt): refuse it.
  if (production) problems.push(...unknown);
  const held = (...names: SettingName[]) => names.every((name) => !invalid.has(name));
  const upstream = resolveUpstream(s, held, problems);
  const auth = resolveAuth(s, upstream, production, problems);
  const introspection = s.GRAPHQL_INTROSPECTION ?? !production;
  const graphiql = s.GRAPHIQL ?? !production;
  if (graphiql && !introspection && held('GRAPHIQL', 'GRAPHQL_INTROSPECTION')) {
    problems.push('GRAPHIQL=true needs introspection: set GRAPHQL_INTROSPECTION=true as well');
  }
  const { SERVER_HEADERS_TIMEOUT_MS: headers, SERVER_REQUEST_TIMEOUT_MS: request } = s;
  if (headers !== undefined && request !== undefined && headers > request) {
    problems.push('SERVER_HEADERS_TIMEOUT_MS must not exceed SERVER_REQUEST_TIMEOUT_MS');
  }
  if ((s.MAX_CONCURRENT_IDS ?? Infinity) < (s.LIMIT_MAX_IDS_PER_OPERATION ?? 0)) {
    problems.push(
      'MAX_CONCURRENT_IDS must be at least LIMIT_MAX_IDS_PER_OPERATION, or no operation at the budget could run',
    );
  }
  if (!e || !upstream || !auth || problems.length > 0) throw new ConfigError(problems);
  return {
    host: e.HOST ?? '127.0.0.1',
    port: e.PORT,
    upstream,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    upstreamConnections: e.UPSTREAM_CONNECTIONS,
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
            localTtlMs: e.CACHE_LOCAL_TTL_MS,
            redisUrl: e.REDIS_URL,
            quotaPerHour: e.QUOTA_PER_HOUR,
            quotaGuardRatio: e.QUOTA_GUARD_RATIO,
            callerShare: e.QUOTA_CALLER_SHARE,
            fallbackReplicas: e.QUOTA_FALLBACK_REPLICAS,
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
      // Unset: no origin in production or against Cisco; loopback ones over the embedded emulator.
      cors:
        e.CORS_ORIGINS ??
        (!production && upstream.mode === 'emulator' ? { mode: 'loopback' } : { mode: 'none' }),
      federationSdl: e.FEDERATION_SDL ?? false,
      persisted: { mode: e.PERSISTED_OPERATIONS, documents: e.PERSISTED_DOCUMENTS },
    },
    operations: {
      logLevel: e.LOG_LEVEL,
      readinessCacheMs: e.READINESS_CACHE_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      tracing: tracingRequested(e),
      serviceName: e.OTEL_SERVICE_NAME ?? 'xdr-user-gateway',
    },
    server: {
      headersTimeoutMs: e.SERVER_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.SERVER_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.SERVER_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.SERVER_IDLE_TIMEOUT_MS,
      maxConnections: e.MAX_CONNECTIONS,
      maxConcurrentOperations: e.MAX_CONCURRENT_OPERATIONS ?? defaultMaxConcurrentOperations(),
      maxConcurrentIds: e.MAX_CONCURRENT_IDS ?? defaultMaxConcurrentIds(e.LIMIT_MAX_IDS_PER_OPERATION),
      queueTimeoutMs: e.SERVER_QUEUE_TIMEOUT_MS,
      compression: e.SERVER_COMPRESSION !== false && { minBytes: e.SERVER_COMPRESSION_MIN_BYTES },
    },
    warnings: production ? [] : unknown,
  };
}

/** Whether the standard OpenTelemetry environment asks for trace export. */
function tracingRequested(s: Settings): boolean {
  const exporters = s.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim()) ?? [];
  if (s.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || exporters.includes('none')) return false;
  return exporters.some(Boolean) || !!s.OTEL_EXPORTER_OTLP_ENDPOINT || !!s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
}

function resolveAuth(
  s: Partial<Settings>,
  upstream: UpstreamConfig | undefined,
  production: boolean,
  problems: string[],
): AuthConfig | undefined {
  // Undefined: AUTH_MODE was refused by its own check (and so was any other undefined value below
  // that has a default).
  const { AUTH_MODE: mode, AUTH_CLOCK_TOLERANCE_SEC: clockToleranceSec, AUTH_ALGORITHMS: algorithms } = s;
  if (mode !== 'jwt') {
    for (const name of ['AUTH_ORG_ID', 'AUTH_ORG_CLAIM'] as const) {
      if (s[name]) problems.push(`${name} applies to AUTH_MODE=jwt only`);
    }
  }
  if (mode === 'none') {
    // An open door is fine in front of the embedded emulator, never in front of a real org.
    if (upstream?.mode === 'cisco' && production) {
      problems.push('AUTH_MODE=none is refused with NODE_ENV=production against Cisco: use jwt or forward');
    } else if (upstream?.mode === 'cisco' && s.AUTH_ALLOW_NONE !== true) {
      problems.push(
        'AUTH_MODE=none against Cisco needs AUTH_ALLOW_NONE=true (or use AUTH_MODE=jwt or forward)',
      );
    }
    return { mode: 'none' };
  }
  if (mode === 'forward') {
    // Callers' tokens are the User API's own: verified against its JWKS (the authenticator derives
    // that URL from the upstream's) with its region host as issuer and audience.
    if (!upstream || clockToleranceSec === undefined) return undefined;
    const host = upstreamTokenHost(upstream);
    return { mode: 'forward', issuer: host, audience: host, clockToleranceSec };
  }
  if (mode !== 'jwt') return undefined;
  const before = problems.length;
  const { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience, AUTH_ORG_ID: orgId } = s;
  // Checked here rather than on their own: in the other modes they are ignored.
  if (!jwksUrl) problems.push('AUTH_JWKS_URL is required with AUTH_MODE=jwt');
  else if (!isHttpUrl(jwksUrl, { query: true })) problems.push('AUTH_JWKS_URL must be an http(s) URL');
  if (!issuer) problems.push('AUTH_ISSUER is required with AUTH_MODE=jwt');
  if (!audience) problems.push('AUTH_AUDIENCE is required with AUTH_MODE=jwt');
  if (orgId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9:._-]{0,255}$/.test(orgId)) {
    problems.push('AUTH_ORG_ID must be an organisation id (letters, digits, ":", ".", "_", "-")');
  }
  if (problems.length > before || !jwksUrl || !issuer || !audience) return undefined;
  if (!algorithms || clockToleranceSec === undefined) return undefined;
  const orgClaim = s.AUTH_ORG_CLAIM ?? CISCO_ORG_CLAIM;
  return {
    mode: 'jwt',
    jwksUrl,
    issuer,
    audience,
    algorithms,
    clockToleranceSec,
    // `none`: a single-tenant issuer (a company IdP whose audience is this gateway alone) whose
    // tokens name no org; every verified caller is then bound to the gateway's own org.
    orgClaim: orgClaim === 'none' ? null : orgClaim,
    ...(orgId ? { orgId } : {}),
  };
}

/**
 * The `iss` (and `aud`) of the upstream's access tokens: its region's host. The embedded emulator
 * signs as `us`; an XDR_BASE_URL that is one of Cisco's hosts names its region, any other (a proxy, a
 * standalone emulator) is taken to be XDR_REGION's, default `us` like the emulator's.
 */
function upstreamTokenHost(upstream: UpstreamConfig): string {
  if (upstream.mode !== 'cisco') return REGION_BASE_URLS.us;
  const origin = new URL(upstream.baseUrl).origin;
  return (
    Object.values(REGION_BASE_URLS).find((host) => host === origin) ??
    REGION_BASE_URLS[upstream.region ?? 'us']
  );
}
