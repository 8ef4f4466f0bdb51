import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;
// Bodies above MAX_BODY_BYTES are drained so the client can read its 413; past this, the client is
// streaming without end and we drop the connection rather than let it pin the server.
const DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES;

export type Headers = Record<string, string | number>;

/** A finished answer thrown from anywhere in a handler; the server turns it into the response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Headers = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** Thrown when the connection is gone; there is nobody left to answer. */
export class ConnectionGone extends Error {}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  sendRaw(res, status, 'application/json', JSON.stringify(body), headers);
}

export function sendRaw(
  res: ServerResponse,
  status: number,
  contentType: string,
  payload: string,
  headers: Headers = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function readBody(req: IncomingMessage, traceId: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) {
        finished = true;
        req.socket.destroy();
        reject(new ConnectionGone());
      } else if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (finished) return;
      finished = true;
      if (size > MAX_BODY_BYTES) {
        reject(
          new HttpError(413, {
            error: 'payload_too_large',
            error_description: `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
            trace_id: traceId,
          }),
        );
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', () => {
      if (!finished) reject(new ConnectionGone());
      finished = true;
    });
    req.on('close', () => {
      if (!finished) reject(new ConnectionGone());
      finished = true;
    });
  });
}

export function invalidRequest(traceId: string, description: string): HttpError {
  return new HttpError(400, { error: 'invalid_request', error_description: description, trace_id: traceId });
}

export type ValidationErrors = Record<string, 'disallowed-key' | 'missing-required-key' | 'invalid-value'>;

export function validationError(errors: ValidationErrors): HttpError {
  return new HttpError(400, { errors });
}

/**
 * Reads a JSON body. Absent body → undefined (each route decides whether that is allowed); a body
 * that is not JSON, or is sent as another media type, is the caller's mistake and gets a JSON error.
 */
export async function readJsonBody(req: IncomingMessage, traceId: string): Promise<unknown> {
  const raw = await readBody(req, traceId);
  if (raw.length === 0) return undefined;
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpError(415, {
      error: 'unsupported_media_type',
      error_description: 'send the body as application/json',
      trace_id: traceId,
    });
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw invalidRequest(traceId, 'the request body is not valid JSON');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ConnectionGone());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ConnectionGone());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
