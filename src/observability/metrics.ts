// Prometheus metrics of the gateway: what it does to the upstream quota, and how its operations
// fare. One Registry per createMetrics() (never prom-client's global one), so that tests and several
// apps in one process do not share counters. Every label value comes from a small closed set or is
// normalised here: no user ids, no raw queries, no client-chosen strings beyond a capped set of
// operation names.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { NOOP_ATTEMPT, type AttemptObserver, type UpstreamEvents } from '../upstream/events.js';

export const METRIC_PREFIX = 'xdr_gateway_';

/** How an operation ended: executed without errors, executed with some, or refused before execution. */
export type OperationOutcome = 'success' | 'error' | 'rejected';

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
  /** Distinct operation names kept as labels; later ones count as "other". Default 100. */
  maxOperationNames?: number;
}

export interface Metrics {
  registry: Registry;
  /** Feeds the upstream metrics; pass it to createUpstream({ events }). */
  events: UpstreamEvents;
  /** One GraphQL operation finished. `name` is the client's operation name, normalised here. */
  observeOperation(name: string | undefined, outcome: OperationOutcome, seconds: number): void;
  /**
   * For the cross-request user cache: per by-id lookup, how many ids it served and how many it had
   * to fetch upstream.
   */
  cache: { lookup(event: { hits: number; misses: number }): void };
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  contentType: string;
}

const ROUTES = new Set(['token', 'getUser', 'batchUsers', 'searchUsers', 'changeUser', 'whoami']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const registers = [registry];
  const maxNames = options.maxOperationNames ?? 100;
  const names = new Set<string>();

  const operations = new Counter({
    name: `${METRIC_PREFIX}graphql_operations_total`,
    help: 'GraphQL operations by operation name and outcome (success, error, rejected before execution).',
    labelNames: ['operation', 'outcome'],
    registers,
  });
  const operationSeconds = new Histogram({
    name: `${METRIC_PREFIX}graphql_operation_duration_seconds`,
    help: 'Duration of GraphQL operations, from the parsed request to the result.',
    labelNames: ['operation', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const upstreamRequests = new Counter({
    name: `${METRIC_PREFIX}upstream_requests_total`,
    help: 'HTTP attempts to the User API by route and status (0: no response, e.g. a timeout).',
    labelNames: ['route', 'status'],
    registers,
  });
  const upstreamSeconds = new Histogram({
    name: `${METRIC_PREFIX}upstream_request_duration_seconds`,
    help: 'Duration of one HTTP attempt to the User API, body included.',
    labelNames: ['route'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const batchSize = new Histogram({
    name: `${METRIC_PREFIX}upstream_batch_size`,
    help: 'Ids per GET /batch/users attempt (at most 100).',
    buckets: [1, 2, 5, 10, 25, 50, 75, 100],
    registers,
  });
  const tokenFetches = new Counter({
    name: `${METRIC_PREFIX}token_fetches_total`,
    help: 'Client-credentials token requests, successful or not.',
    registers,
  });
  const tokenFailures = new Counter({
    name: `${METRIC_PREFIX}token_fetch_failures_total`,
    help: 'Client-credentials token requests that failed.',
    registers,
  });
  const retries = new Counter({
    name: `${METRIC_PREFIX}upstream_retries_total`,
    help: 'Read retries by route and reason.',
    labelNames: ['route', 'reason'],
    registers,
  });
  const breaker = new Gauge({
    name: `${METRIC_PREFIX}circuit_breaker_state`,
    help: 'Read circuit breaker: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers,
  });
  for (const state of BREAKER_STATES) breaker.set({ state }, state === 'closed' ? 1 : 0);
  const cacheHits = new Counter({
    name: `${METRIC_PREFIX}cache_hits_total`,
    help: 'User ids served from the cross-request cache.',
    registers,
  });
  const cacheMisses = new Counter({
    name: `${METRIC_PREFIX}cache_misses_total`,
    help: 'User ids the cross-request cache had to fetch from the User API.',
    registers,
  });

  const operationLabel = (name: string | undefined): string => {
    if (name === undefined || name === '') return 'anonymous';
    if (!NAME.test(name)) return 'other';
    if (names.has(name)) return name;
    if (names.size >= maxNames) return 'other';
    names.add(name);
    return name;
  };
  // Routes and reasons come from our own code, but a label must stay bounded whatever changes there.
  const route = (value: string) => (ROUTES.has(value) ? value : 'other');
  const reason = (value: string) => {
    const v = value.replace(/\s+/g, '_');
    return /^[a-z0-9_-]{1,32}$/i.test(v) ? v : 'other';
  };

  const events: UpstreamEvents = {
    request(event) {
      const r = route(event.route);
      upstreamRequests.inc({ route: r, status: String(event.status) });
      upstreamSeconds.observe({ route: r }, event.durationMs / 1000);
      if (event.batchSize !== undefined) batchSize.observe(event.batchSize);
    },
    tokenFetch(event) {
      tokenFetches.inc();
      if (!event.ok) tokenFailures.inc();
    },
    retry(event) {
      retries.inc({ route: route(event.route), reason: reason(event.reason) });
    },
    breakerState(event) {
      for (const state of BREAKER_STATES) breaker.set({ state }, state === event.state ? 1 : 0);
    },
  };

  return {
    registry,
    events,
    observeOperation(name, outcome, seconds) {
      const labels = { operation: operationLabel(name), outcome };
      operations.inc(labels);
      operationSeconds.observe(labels, seconds);
    },
    cache: {
      lookup(event) {
        if (event.hits > 0) cacheHits.inc(event.hits);
        if (event.misses > 0) cacheMisses.inc(event.misses);
      },
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** Calls every implementation in turn; one that throws does not stop the others. */
export function combineEvents(...all: UpstreamEvents[]): UpstreamEvents {
  const each =
    <K extends Exclude<keyof UpstreamEvents, 'attempt'>>(key: K) =>
    (event: Parameters<UpstreamEvents[K]>[0]) => {
      for (const events of all) {
        try {
          (events[key] as (e: typeof event) => void)(event);
        } catch {
          // Observers must never break an upstream call.
        }
      }
    };
  const attempting = all.filter((events) => events.attempt);
  return {
    ...(attempting.length > 0
      ? {
          attempt(request, headers) {
            const observers = attempting.map((events) => {
              try {
                return events.attempt?.(request, headers) ?? NOOP_ATTEMPT;
              } catch {
                return NOOP_ATTEMPT;
              }
            });
            const tell = (notify: (observer: AttemptObserver) => void) => {
              for (const observer of observers) {
                try {
                  notify(observer);
                } catch {
                  // Observers must never break an upstream call.
                }
              }
            };
            return {
              end: (status) => tell((observer) => observer.end(status)),
              fail: (kind) => tell((observer) => observer.fail(kind)),
            };
          },
        }
      : {}),
    request: each('request'),
    tokenFetch: each('tokenFetch'),
    retry: each('retry'),
    breakerState: each('breakerState'),
  };
}
