// The one place that moves bytes to and from the User API. It owns the keep-alive pool, the
// per-attempt deadline, the body cap and the translation of every transport failure into a typed
// UpstreamError. Reading what came back is responses.ts'; route-level meaning (401 replay, 404, 400
// reasons) belongs to the callers.
import { Pool } from 'undici';
import { abortReason } from './abort.js';
import { UpstreamTimeoutError, UpstreamUnavailableError, type UpstreamError } from './errors.js';
import { NOOP_ATTEMPT, NOOP_EVENTS, type UpstreamEvents } from './events.js';
import { NOOP_LOGGER, type UpstreamLogger } from './logger.js';

// Calls in flight at once: at Cisco's 100–200 ms from another region, 16 connections capped a replica
// near 100 uncached lookups a second; 128 leave room for 1,000 a second at 100 ms (UPSTREAM_CONNECTIONS).
export const DEFAULT_CONNECTIONS = 128;
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface UpstreamHttpOptions {
  /** Origin plus an optional path prefix, e.g. `https://visibility.amp.cisco.com`. */
  baseUrl: string;
  /** Keep-alive connections to the upstream. Default 128. */
  connections?: number;
  /** Larger response bodies are refused (a 2xx becomes UpstreamMalformedError). Default 10 MiB. */
  maxBodyBytes?: number;
  logger?: UpstreamLogger;
  /** Told about every attempt (route, status, duration). */
  events?: UpstreamEvents;
}

export interface UpstreamRequest {
  /** Route name for errors and logs, e.g. "getUser"; never a URL. */
  route: string;
  method: 'GET' | 'POST';
  /** Path below the base URL, starting with "/"; path segments already percent-encoded. */
  path: string;
  query?: URLSearchParams;
  headers?: Record<string, string>;
  body?: string;
  /** Deadline of this attempt, from sending the request to the end of the body. */
  timeoutMs: number;
  /**
   * The caller's signal: its abort cancels the attempt and rejects with the signal's reason, or with
   * DeadlineExceededError when the reason is a timeout (the operation's deadline).
   */
  signal?: AbortSignal;
  /** For events only: which attempt of a read this is (1 = the first). */
  attempt?: number;
  /** For events only: the number of ids of a batch call. */
  batchSize?: number;
  /** For log lines only: the request the call serves. */
  requestId?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole body; undefined when it was larger than the cap (and was discarded). */
  body: Buffer | undefined;
}

/**
 * A keep-alive connection pool to one upstream origin, shared by the token manager and the client
 * so that both reuse the same sockets. Close it once, when the process stops.
 */
export class UpstreamHttp {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #maxBodyBytes: number;
  readonly #logger: UpstreamLogger;
  readonly #events: UpstreamEvents;

  constructor(options: UpstreamHttpOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError('the upstream base URL must be http(s)');
    }
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(url.origin, { connections: options.connections ?? DEFAULT_CONNECTIONS });
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#events = options.events ?? NOOP_EVENTS;
  }

  /**
   * Sends one attempt and reads the whole (capped) body, whatever the status. Rejects with
   * UpstreamTimeoutError or UpstreamUnavailableError on transport failures, or with the caller's
   * abort reason when the caller's signal aborts.
   */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const { route, signal, timeoutMs, requestId } = request;
    if (signal?.aborted) throw abortReason(signal, route);
    const started = performance.now();
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, timeoutMs);
    const onCallerAbort = () => attempt.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });

    const headers: Record<string, string> = { 'user-agent': 'xdr-user-gateway', ...request.headers };
    // Tracing (when on) starts its span here and adds the W3C traceparent to the headers.
    const span = this.#events.attempt?.(request, headers) ?? NOOP_ATTEMPT;

    try {
      const query = request.query?.toString();
      const response = await this.#pool.request({
        method: request.method,
        path: `${this.#basePath}${request.path}${query ? `?${query}` : ''}`,
        headers,
        body: request.body,
        signal: attempt.signal,
        // Backstops for the deadline above; whichever fires first, the outcome is a timeout.
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await this.#readBody(response.body, response.headers['content-length']);
      const ms = Math.round(performance.now() - started);
      this.#report(request, response.statusCode, ms);
      span.end(response.statusCode);
      this.#logger.debug(
        {
          requestId,
          route,
          status: response.statusCode,
          ms,
          ...(request.attempt === undefined ? {} : { attempt: request.attempt }),
          ...(request.batchSize === undefined ? {} : { batchSize: request.batchSize }),
        },
        'upstream call',
      );
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      this.#report(request, 0, Math.round(performance.now() - started));
      if (signal?.aborted) {
        span.fail('aborted');
        throw abortReason(signal, route);
      }
      const failure = timedOut
        ? new UpstreamTimeoutError(route, `The User API did not answer ${route} within ${timeoutMs} ms`)
        : transportFailure(route, error);
      span.fail(failure.kind);
      this.#logger.warn(
        {
          requestId,
          route,
          kind: failure.kind,
          code: errorCode(error),
          ms: Math.round(performance.now() - started),
        },
        'upstream call failed',
      );
      throw failure;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  #report(request: UpstreamRequest, status: number, durationMs: number): void {
    this.#events.request({
      route: request.route,
      status,
      durationMs,
      ...(request.batchSize === undefined ? {} : { batchSize: request.batchSize }),
      ...(request.attempt === undefined ? {} : { attempt: request.attempt }),
    });
  }

  /** Stops the pool; requests still running finish first (each has a deadline). */
  async close(): Promise<void> {
    if (!this.#pool.closed && !this.#pool.destroyed) await this.#pool.close();
  }

  /**
   * Stops the pool at once: requests still running are aborted (they reject as unavailable). For
   * shutdown past its deadline, when waiting for a hung upstream would outlive the process's grace.
   */
  async destroy(): Promise<void> {
    if (!this.#pool.destroyed) await this.#pool.destroy();
  }

  async #readBody(
    body: AsyncIterable<Buffer> & {
      destroy(error?: Error): unknown;
      on(event: 'error', listener: (error: Error) => void): unknown;
    },
    declaredLength: string | string[] | undefined,
  ): Promise<Buffer | undefined> {
    // Every path either reads the body to its end or destroys it, so the socket goes back to the
    // pool (or is closed) and never stays pinned by an unread body.
    if (typeof declaredLength === 'string' && Number(declaredLength) > this.#maxBodyBytes) {
      // Destroying an unread undici body emits RequestAbortedError; nobody else listens, and an
      // unheard 'error' event would crash the process.
      body.on('error', () => {});
      body.destroy();
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.#maxBodyBytes) {
        body.destroy();
        return undefined;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A transport error as a typed one. The original is not attached as `cause`: its message names the
 * host and port, which must not travel with our errors.
 */
function transportFailure(route: string, error: unknown): UpstreamError {
  const code = errorCode(error);
  if (code && TIMEOUT_CODES.has(code)) {
    return new UpstreamTimeoutError(route, `The User API did not answer ${route} in time`);
  }
  const reason = code && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'transport error';
  return new UpstreamUnavailableError(route, `The User API could not be reached for ${route} (${reason})`);
}
