import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { createAuthenticator, type Authenticate, type Authenticated } from '../auth/authenticate.js';
import type { CorsPolicy } from '../config.js';
import { maskError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { ReadinessReport } from '../observability/health.js';
import type { Metrics } from '../observability/metrics.js';
import { useObservability, type OperationTracing } from '../observability/plugin.js';
import { createContext, type GraphQLContext } from '../schema/context.js';
import { getSchema } from '../schema/index.js';
import type { UserApi } from '../upstream/user-api.js';
import { authenticationOf, useAuthentication } from './authentication.js';
import {
  DEFAULT_COMPRESSION_MIN_BYTES,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BODY_BYTES,
  defaultMaxConcurrentIds,
  type OperationLimits,
} from '../limits.js';
import { useBodyLimit } from './body-limit.js';
import { useConditionalGet } from './conditional-get.js';
import { useCompression } from './compression.js';
import { corsOptions } from './cors.js';
import { useCsrfPrevention } from './csrf.js';
import { useErrorContract, useValidationCodes } from './error-contract.js';
import { graphiqlTabs, type ExampleIds } from './graphiql-tabs.js';
import { useNoIntrospection } from './introspection.js';
import type { ExecutionGateSettings } from './execution-gate.js';
import { useOperationBudget } from './operation-budget.js';
import { useOperationLimits } from './operation-limits.js';
import {
  usePersistedDocuments,
  type PersistedOperationsMode,
  type TrustedDocuments,
} from './persisted-operations.js';
import { requestIdOf } from './request-id.js';
import { yogaLogger } from './yoga-logger.js';

export interface AppDeps {
  /**
   * The UserApi one authenticated request works with: gateway.ts's stack (the upstream client →
   * the cache → the caller's scope check), called once per request.
   */
  apiFor: (authenticated: Authenticated) => UserApi;
  /** Most ids one `users(ids:)` field accepts (default 500). */
  maxUserIds?: number;
  /** GraphiQL with example tabs for these ids; false turns GraphiQL off. */
  graphiql?: { examples: ExampleIds } | false;
  /** Deadline of all upstream calls of one operation (default 15 000, see schema/context.ts). */
  operationDeadlineMs?: number;
  /** Caller authentication (AUTH_MODE); default none: every caller is anonymous with all scopes. */
  authenticate?: Authenticate;
  /** Audit events and security logs; default silent. */
  logger?: Logger;
  security?: SecurityOptions;
  /** /metrics, /readyz and tracing (see src/observability/); /healthz is always served. */
  observability?: ObservabilityDeps;
  /** The execution gate; default: MAX_CONCURRENT_IDS sized from the heap, a 1 s wait. */
  execution?: ExecutionGateSettings;
  /**
   * Trusted documents by documentId and APQ (PERSISTED_OPERATIONS), and how long a persisted GET's
   * answer may be kept by its caller; default: `allow`, no trusted documents, max-age 0.
   */
  persisted?: { mode: PersistedOperationsMode; trusted: TrustedDocuments; maxAgeSec: number };
  /** br or gzip by accept-encoding for responses of at least minBytes (default 1 024); false: never. */
  compression?: { minBytes: number } | false;
}

export interface ObservabilityDeps {
  /** Counts operations and serves GET /metrics. */
  metrics?: Metrics;
  /** Backs GET /readyz (see createReadiness). */
  readiness?: () => Promise<ReadinessReport>;
  /** A span per operation, continuing the caller's traceparent (an SDK must be started). */
  tracing?: OperationTracing;
}

/** Hardening of the HTTP and GraphQL layer; every default is the safe one except introspection. */
export interface SecurityOptions {
  limits?: Partial<OperationLimits>;
  /** Request body cap in bytes (413 beyond). Default 102 400. */
  maxBodyBytes?: number;
  /** Schema introspection; default true (config.ts turns it off with NODE_ENV=production). */
  introspection?: boolean;
  /** Cross-origin access (CORS_ORIGINS); default none: no CORS headers for any origin. */
  cors?: CorsPolicy;
  /** `_service { sdl }` even with introspection off (FEDERATION_SDL); default false. */
  federationSdl?: boolean;
}

export type App = YogaServerInstance<Record<string, never>, GraphQLContext>;

/** Ends the context's deadline timer and disconnect listener with the operation. */
function useDisposeContext(): Plugin<GraphQLContext> {
  return { onExecute: () => ({ onExecuteDone: ({ args }) => args.contextValue.dispose() }) };
}

/** Builds the gateway's HTTP handler. No listening, no environment reads: see gateway.ts. */
export function createApp(deps: AppDeps): App {
  const settings = { maxUserIds: deps.maxUserIds ?? 500, operationDeadlineMs: deps.operationDeadlineMs };
  const logger = deps.logger ?? createLogger({ level: 'silent' });
  const security = deps.security ?? {};
  const limits = { ...DEFAULT_LIMITS, ...security.limits };
  const compression = deps.compression ?? { minBytes: DEFAULT_COMPRESSION_MIN_BYTES };
  const persisted = deps.persisted ?? { mode: 'allow', trusted: new Map(), maxAgeSec: 0 };
  const tabs = deps.graphiql ? graphiqlTabs(getSchema(), deps.graphiql.examples) : undefined;
  return createYoga<Record<string, never>, GraphQLContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    // Yoga's default reflects any origin with credentials; ours answers only the policy's origins.
    cors: corsOptions(security.cors ?? { mode: 'none' }),
    context: ({ request }) => {
      const authenticated = authenticationOf(request);
      // Fail closed: a request that skipped authentication never reaches a resolver.
      if (!authenticated) throw new Error('request was not authenticated');
      return createContext(deps.apiFor(authenticated), settings, request, {
        caller: authenticated.caller,
        requestId: requestIdOf(request),
        logger,
      });
    },
    plugins: [
      // Probes and scrapes first: they need no CSRF header and no caller token.
      useObservability({ ...deps.observability, logger, graphqlEndpoint: '/graphql', requestIdOf }),
      // Cheapest rejections first; all of them before the body is parsed.
      useCsrfPrevention(),
      useAuthentication(deps.authenticate ?? createAuthenticator({ mode: 'none' })),
      useBodyLimit(security.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
      // A document named by id becomes the request's query; GraphiQL's own tabs count as trusted.
      ...usePersistedDocuments({ ...persisted, trustedTexts: tabs?.map((tab) => tab.query) ?? [] }),
      useOperationLimits(limits),
      ...(security.introspection === false
        ? [useNoIntrospection({ federationSdl: security.federationSdl ?? false })]
        : []),
      useValidationCodes(),
      // Codes, statuses, suggestions and headers of every GraphQL response; before the budget, so
      // that it sees the executions the budget refuses too.
      useErrorContract({ graphqlEndpoint: '/graphql', hideSuggestions: security.introspection === false }),
      // After the contract's `no-store`: a clean persisted read by GET may be kept by its caller.
      useConditionalGet({ graphqlEndpoint: '/graphql', maxAgeSec: persisted.maxAgeSec }),
      // The context's deadline timer and disconnect listener end with the operation.
      useDisposeContext(),
      // Last before execution: the variables are known, and a refusal still ends the context above;
      // the execution gate it holds wraps the executor, so no plugin after it may replace that.
      useOperationBudget(
        limits,
        deps.execution ?? {
          maxConcurrentIds: defaultMaxConcurrentIds(limits.maxIdsPerOperation),
          queueTimeoutMs: 1_000,
        },
      ),
      // Its onResponse runs last, over every response the plugins above have finished with.
      ...(compression ? [useCompression(compression)] : []),
    ],
    // One operation per request: a batch would multiply every limit above.
    batching: false,
    // A trusted document by id (persisted-operations.ts) instead of the query's text.
    extraParamNames: ['documentId'],
    // No file uploads in this API; multipart bodies are refused rather than parsed.
    multipart: false,
    // useBodyLimit caps the body (413 PAYLOAD_TOO_LARGE); Yoga's own cap would stream every body
    // through a second TransformStream and Request for a 25 MB limit that ours already undercuts.
    maxRequestBodySize: false,
    // The one conversion of resolvers' errors: upstream failures get their codes, the rest is masked.
    maskedErrors: { maskError },
    logging: yogaLogger(logger),
    landingPage: false,
    // GraphiQL's assets are served from this package, not a CDN: it works offline and behind
    // strict egress rules. Loaded on first use: the bundle costs ~80 MB of heap when imported.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: tabs
      ? {
          title: 'XDR User Gateway',
          defaultTabs: tabs,
          shouldPersistHeaders: false,
        }
      : false,
  });
}
