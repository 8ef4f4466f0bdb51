import type { Plugin } from 'graphql-yoga';
import { badRequest, payloadTooLarge } from '../errors.js';

/**
 * Caps the request body: a declared Content-Length over the cap is refused before reading, and a
 * chunked body is counted while it is read. 413 either way. A JSON body is parsed here, once, and
 * handed to Yoga as the request's parameters; one that does not parse is a 400 whose message never
 * quotes it (Yoga's own error carries the parser's message, which recent Node versions fill with the
 * start of the body). Other content types go on to Yoga's parser with the capped body.
 */
export function useBodyLimit(maxBytes: number): Plugin {
  const tooLarge = () => payloadTooLarge(maxBytes);
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > maxBytes) throw tooLarge();
      if (!request.body || !requestParser) return;
      // Node's HTTP parser never delivers more than a valid Content-Length: only a body without one
      // (chunked) needs counting as it streams in.
      const declared = length !== null && /^\d+$/.test(length);
      setRequestParser(async (req) => {
        const body = declared ? await req.text() : await readCapped(req, maxBytes, tooLarge);
        if (!isJson(req)) {
          return requestParser(new Request(req.url, { method: req.method, headers: req.headers, body }));
        }
        let params: unknown;
        try {
          params = JSON.parse(body);
        } catch {
          throw badRequest('POST body sent invalid JSON.');
        }
        if (params === null || typeof params !== 'object') {
          throw badRequest('POST body must be a JSON object.');
        }
        // An array is a batch, which Yoga refuses with its own message (batching is off).
        return params as Record<string, unknown>;
      });
    },
  };
}

/** The JSON content types Yoga's own POST parser accepts. */
function isJson(request: Request): boolean {
  const type = request.headers.get('content-type')?.toLowerCase() ?? '';
  return type.startsWith('application/json') || type.startsWith('application/graphql+json');
}

async function readCapped(request: Request, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!reader) return '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  // GraphQL request bodies are JSON or GraphQL text: UTF-8.
  return Buffer.concat(chunks).toString('utf8');
}
