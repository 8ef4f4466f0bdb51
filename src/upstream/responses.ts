// Reading what the User API answered: JSON bodies validated into domain values, the rate-limit
// headers, and the typed error of a status no route gives a meaning of its own.
import type { z } from 'zod';
import { UpstreamMalformedError, UpstreamRateLimitedError, UpstreamUnavailableError } from './errors.js';
import type { UpstreamError } from './errors.js';
import type { UpstreamResponse } from './http.js';
import { describeIssues } from './payloads.js';

function isJsonContentType(value: string | string[] | undefined): boolean {
  // No content type at all is tolerated (the body must still parse); a declared non-JSON type, such
  // as a proxy's HTML error page, is not.
  if (value === undefined) return true;
  const type = (Array.isArray(value) ? value[0] : value)?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The parsed JSON body of a response, or undefined when it is absent, oversized or not JSON. */
export function jsonBody(response: UpstreamResponse): unknown {
  if (!response.body || response.body.length === 0) return undefined;
  if (!isJsonContentType(response.headers['content-type'])) return undefined;
  try {
    return JSON.parse(response.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The validated domain value of a 2xx response. Anything else than JSON of the expected shape
 * (HTML, truncated or oversized bodies, schema drift) is UpstreamMalformedError.
 */
export function parsePayload<S extends z.ZodType>(
  route: string,
  response: UpstreamResponse,
  schema: S,
): z.output<S> {
  if (response.body === undefined) {
    throw new UpstreamMalformedError(route, `The User API answered ${route} with an oversized body`);
  }
  if (!isJsonContentType(response.headers['content-type'])) {
    throw new UpstreamMalformedError(route, `The User API answered ${route} with a non-JSON body`);
  }
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new UpstreamMalformedError(route, `The User API answered ${route} with invalid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamMalformedError(
      route,
      `The User API answered ${route} with an unexpected shape at ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/**
 * Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. Undefined when absent
 * or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** A whole number of at least `min` from a rate-limit header; undefined when absent or anything else. */
function headerCount(value: string | string[] | undefined, min: number): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw || !/^\d{1,15}$/.test(raw)) return undefined;
  const count = Number(raw);
  return count >= min ? count : undefined;
}

/**
 * Seconds to wait from an X-Ratelimit-Org-Reset-style header, used only when Retry-After is absent:
 * delta-seconds, or epoch seconds when the number is that large. Undefined when absent or junk.
 */
export function parseRateLimitReset(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const sec = headerCount(value, 0);
  if (sec === undefined) return undefined;
  return sec >= 1_000_000_000 ? Math.max(0, Math.ceil(sec - now / 1000)) : sec;
}

/**
 * The typed error of a status no route gives a meaning of its own: 429, 5xx and anything
 * unexpected. Callers handle 400/401/403/404 first.
 */
export function statusFailure(route: string, response: UpstreamResponse): UpstreamError {
  const { status } = response;
  if (status === 429) {
    const { headers } = response;
    return new UpstreamRateLimitedError(
      route,
      parseRetryAfter(headers['retry-after']) ?? parseRateLimitReset(headers['x-ratelimit-org-reset']),
      { orgLimit: headerCount(headers['x-ratelimit-org-limit'], 1) },
    );
  }
  if (status >= 500) {
    return new UpstreamUnavailableError(route, `The User API failed ${route} with status ${status}`, status);
  }
  return new UpstreamUnavailableError(
    route,
    `The User API answered ${route} with unexpected status ${status}`,
    status,
  );
}
