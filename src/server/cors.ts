// Cross-origin access by allow-list (CORS_ORIGINS), rendered by Yoga's own `cors` option (the
// useCORS plugin of @whatwg-node/server). Left to its defaults, that plugin reflects any origin
// with `allow-credentials: true`: a page of any site could then read a visitor's answers, and the
// CSRF rule, which relies on browsers being refused the preflight of a JSON POST, would stop
// holding. Here an origin gets CORS headers only when the policy names it.
import type { CorsPolicy } from '../config.js';
import { CSRF_HEADERS } from './csrf.js';

/** What Yoga's `cors` factory returns for one request; false: no CORS headers at all. */
export type CorsOptions =
  | {
      origin: string[];
      methods: string[];
      allowedHeaders: string[];
      exposedHeaders: string[];
      credentials: boolean;
      maxAge: number;
    }
  | false;

/** Request headers a cross-origin page may send: the body type, a token, tracing and the CSRF headers. */
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'x-request-id',
  'traceparent',
  ...CSRF_HEADERS,
];

/** How long a browser may reuse a preflight's answer, in seconds: policy changes apply within it. */
export const CORS_MAX_AGE_SEC = 600;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Yoga's `cors` option for a policy: `none` answers no origin; `loopback` the origins of this
 * machine (any port, http or https); `list` exactly the listed origins, the only policy that allows
 * credentials; `any` every origin, never with credentials. A refused origin gets no CORS header at
 * all (its preflight is still a 204, which the browser then refuses).
 */
export function corsOptions(policy: CorsPolicy): (request: Request) => CorsOptions {
  const listed = policy.mode === 'list' ? new Set(policy.origins) : undefined;
  const allowed = (origin: string): boolean => {
    switch (policy.mode) {
      case 'none':
        return false;
      case 'any':
        return true;
      case 'loopback':
        return isLoopbackOrigin(origin);
      case 'list':
        return listed?.has(origin) ?? false;
    }
  };
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed(origin)) return false;
    return {
      // The request's own origin, in a one-element list: rendered as is. (A string would be
      // searched for '*', and '*' itself makes the plugin reflect every origin.) No `Vary: Origin`
      // is needed: GraphQL responses are `no-store`, and browsers key preflights by origin.
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: ['x-request-id', 'retry-after'],
      credentials: policy.mode === 'list',
      maxAge: CORS_MAX_AGE_SEC,
    };
  };
}

/** An origin on this machine, written exactly as a browser sends it (`http://localhost:5173`). */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    LOOPBACK_HOSTS.has(url.hostname) &&
    url.origin === origin
  );
}
