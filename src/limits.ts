// What one request, and all of them at once, may ask of the gateway: set by configuration (config.ts),
// enforced by the server (server/operation-limits.ts, operation-budget.ts, execution-gate.ts,
// body-limit.ts, http-server.ts). A leaf both may import.
import { getHeapStatistics } from 'node:v8';

/** Static limits on one operation, enforced while parsing and validating: before any execution. */
export interface OperationLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Aliases in one operation (100 aliased `user` lookups must fit). */
  maxAliases: number;
  /** Lexical tokens in the document (a `users` list of 500 inline ids must fit). */
  maxTokens: number;
  /** Directives in one operation. */
  maxDirectives: number;
  /** graphql-armor's static cost (objects 2, scalars 1, ×1.5 per level, × `first`). */
  maxCost: number;
  /** User ids one operation may ask for: every `users` list, `user` and `_entities` lookup together. */
  maxIdsPerOperation: number;
  /** Worst-case upstream calls of one operation (batches of 100 ids, searches, whoami, changes). */
  maxUpstreamCallsPerOperation: number;
}

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 10,
  maxAliases: 150,
  maxTokens: 5000,
  maxDirectives: 50,
  maxCost: 50_000,
  maxIdsPerOperation: 500,
  maxUpstreamCallsPerOperation: 10,
};

/** The default request body cap: room for 500 ids inline (~25 KB) with a wide margin. */
export const DEFAULT_MAX_BODY_BYTES = 102_400;

/**
 * Responses smaller than this go out uncompressed: below about a kilobyte the bytes saved do not pay
 * for the CPU, and one user's answer (a few hundred bytes) never pays (bench/README.md, Compression).
 */
export const DEFAULT_COMPRESSION_MIN_BYTES = 1_024;

const MB = 1024 * 1024;

/**
 * MAX_CONCURRENT_OPERATIONS' default: one request in progress per MB of heap, between 4 and 1024 (128
 * under start:prod's 128 MB). A request waiting on the upstream holds little: its parsed body (at most
 * MAX_BODY_BYTES) and its context; the users it will hold are bounded by MAX_CONCURRENT_IDS. At 100 ms
 * of upstream latency, 128 requests in progress serve up to about 1,280 operations a second.
 */
export function defaultMaxConcurrentOperations(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.min(1024, Math.max(4, Math.floor(heapLimitBytes / MB)));
}

/**
 * MAX_CONCURRENT_IDS' default: one user held by executing operations per 16 KB of heap (a user costs a
 * few KB in each of its forms: upstream JSON, domain object, GraphQL result, response text), 8192 under
 * start:prod's 128 MB: sixteen operations at the default budget of 500 ids. Never below
 * `maxIdsPerOperation`, so that an operation at the budget can always run.
 */
export function defaultMaxConcurrentIds(
  maxIdsPerOperation: number,
  heapLimitBytes = getHeapStatistics().heap_size_limit,
): number {
  return Math.max(maxIdsPerOperation, Math.floor(heapLimitBytes / (16 * 1024)));
}
