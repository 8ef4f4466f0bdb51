// Typed failures of the upstream. Messages are written here, never copied from upstream bodies, so
// they cannot carry a token, a secret or an upstream URL.

export type UpstreamErrorKind =
  | 'not_found'
  | 'bad_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'rate_limited'
  | 'timeout'
  | 'unavailable'
  | 'malformed';

export abstract class UpstreamError extends Error {
  abstract readonly kind: UpstreamErrorKind;
  /** The upstream route that failed, e.g. "getUser" (no URL, no ids). */
  readonly route: string;
  constructor(route: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.route = route;
    this.name = new.target.name;
  }
}

export class UpstreamNotFoundError extends UpstreamError {
  readonly kind = 'not_found';
}

/** 400 from the upstream: each bad kebab-case key with its reason token (e.g. "invalid-value"). */
export class UpstreamBadInputError extends UpstreamError {
  readonly kind = 'bad_input';
  constructor(
    route: string,
    readonly reasons: Record<string, string>,
  ) {
    super(route, `The User API rejected the input (${Object.keys(reasons).join(', ') || 'no details'})`);
  }
}

export class UpstreamUnauthenticatedError extends UpstreamError {
  readonly kind = 'unauthenticated';
}

export class UpstreamForbiddenError extends UpstreamError {
  readonly kind = 'forbidden';
  constructor(
    route: string,
    readonly missingScopes: string[],
    readonly requiredScopes: string[],
  ) {
    super(route, `The API client lacks scopes for ${route}: ${missingScopes.join(' ') || 'unknown'}`);
  }
}

/** What a 429 said about the org's quota, from its X-Ratelimit-Org-* headers (junk values left out). */
export interface RateLimitFacts {
  /** X-Ratelimit-Org-Limit: the org's quota per window. */
  orgLimit?: number | undefined;
}

export class UpstreamRateLimitedError extends UpstreamError {
  readonly kind = 'rate_limited';
  /** The org's quota as the upstream announced it; undefined when it did not (or the guard refused). */
  readonly orgLimit: number | undefined;
  constructor(
    route: string,
    /** Seconds to wait, from Retry-After (else X-Ratelimit-Org-Reset); undefined when none was given. */
    readonly retryAfterSec: number | undefined,
    facts: RateLimitFacts = {},
  ) {
    super(
      route,
      `The User API rate limit is exhausted${retryAfterSec === undefined ? '' : `; retry after ${retryAfterSec}s`}`,
    );
    this.orgLimit = facts.orgLimit;
  }
}

export class UpstreamTimeoutError extends UpstreamError {
  readonly kind = 'timeout';
}

/** Connection failures and 5xx answers. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly kind = 'unavailable';
  constructor(
    route: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(route, message, options);
  }
}

/** A 2xx answer whose body is not what the contract says (bad JSON, HTML, wrong shape). */
export class UpstreamMalformedError extends UpstreamError {
  readonly kind = 'malformed';
}
