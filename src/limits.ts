// What one request may ask of the gateway: set by configuration (config.ts), enforced by the server's
// plugins (server/operation-limits.ts, operation-budget.ts, body-limit.ts). A leaf both may import.

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
