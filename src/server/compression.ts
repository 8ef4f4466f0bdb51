import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

// Response compression by the caller's accept-encoding: brotli or gzip, for bodies of at least
// `minBytes`. Written here rather than taken from @whatwg-node/server's useContentEncoding, which
// ignores q-values (`gzip;q=0` still gets gzip) and sizes (a 30-byte answer is compressed too), picks
// brotli at quality 11 (tens of ms for a 100-user page) and inflates request bodies before our body
// cap counts them. Compression runs on libuv's thread pool, off the event loop.

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** What we compress with, best first when the caller weighs them equally. */
export const ENCODINGS = ['br', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

const COMPRESS: Record<Encoding, (body: Uint8Array) => Promise<Buffer>> = {
  // Quality 5: within a few per cent of gzip's speed with smaller output; 11 costs ~30× the CPU.
  br: (body) =>
    brotli(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
      },
    }),
  gzip: (body) => gzipAsync(body, { level: 6 }),
};

/** GraphQL results, GraphiQL's page and its script; event streams and multipart answers are left alone. */
const COMPRESSIBLE =
  /^(application\/(graphql-response\+json|json|javascript)|text\/(html|plain|css|javascript))\b/i;

/**
 * The encoding an `accept-encoding` header asks for (RFC 9110 §12.5.3): the highest q-value among
 * ours, `*` standing for any not named; ties go to ENCODINGS' order; q=0 refuses. Undefined: identity.
 */
export function negotiateEncoding(header: string | null): Encoding | undefined {
  if (!header) return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 1) : 0);
  }
  let best: Encoding | undefined;
  let bestWeight = 0;
  for (const encoding of ENCODINGS) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [encoding, weight];
  }
  return best;
}

/**
 * Compresses responses of a compressible type and at least `minBytes` (by content-length, so that a
 * smaller one is passed on untouched, unread) for callers that accept br or gzip. Every compressible
 * response says `vary: accept-encoding`, so that a shared cache keeps the encodings apart.
 */
export function useCompression({ minBytes }: { minBytes: number }): Plugin {
  return {
    // Synchronous unless it compresses: most answers (one user, a few hundred bytes) are only looked at.
    onResponse({ request, response, setResponse, fetchAPI }) {
      const type = response.headers.get('content-type');
      if (!type || !COMPRESSIBLE.test(type) || response.headers.has('content-encoding')) return;
      response.headers.append('vary', 'accept-encoding');
      const length = response.headers.get('content-length');
      if (request.method === 'HEAD' || (length !== null && Number(length) < minBytes)) return;
      // Only now: reading `body` makes whatwg-node build a stream (about 17 µs, 1% of a user(id)).
      if (!response.body) return;
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      if (!encoding) return;
      return (async () => {
        const body = new Uint8Array(await response.arrayBuffer());
        const headers = new fetchAPI.Headers(response.headers);
        const init = { status: response.status, statusText: response.statusText, headers };
        if (body.byteLength < minBytes) return setResponse(new fetchAPI.Response(body, init));
        const compressed = await COMPRESS[encoding](body);
        headers.set('content-encoding', encoding);
        headers.set('content-length', String(compressed.byteLength));
        const view = new Uint8Array(
          compressed.buffer as ArrayBuffer,
          compressed.byteOffset,
          compressed.byteLength,
        );
        setResponse(new fetchAPI.Response(view, init));
      })();
    },
  };
}
