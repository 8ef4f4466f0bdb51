import type { Plugin } from 'graphql-yoga';
import { badRequest } from '../errors.js';

/** Any one of these headers marks a request as not "simple", so browsers preflight it (CORS). */
export const CSRF_HEADERS = ['x-graphql-csrf', 'x-graphql-yoga-csrf', 'apollo-require-preflight'];

/**
 * CSRF prevention in the manner of Yoga's own plugin (@graphql-yoga/plugin-csrf-prevention, which
 * this project does not depend on directly): a request a browser may send cross-site without a
 * preflight — any GET, or a POST with a "simple" content type — must carry one of CSRF_HEADERS.
 * JSON POSTs are always preflighted and pass. Rejected with 403 before the body is read.
 */
export function useCsrfPrevention(headers: readonly string[] = CSRF_HEADERS): Plugin {
  const simple = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
  return {
    onRequestParse({ request }) {
      const type = request.headers.get('content-type')?.toLowerCase();
      const preflighted = type !== undefined && !simple.some((s) => type.startsWith(s));
      if (preflighted || headers.some((h) => request.headers.has(h))) return;
      throw badRequest(
        `Requests without a JSON body must send one of the headers: ${headers.join(', ')}`,
        403,
      );
    },
  };
}
