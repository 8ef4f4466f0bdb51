// One client-credentials token per process, shared by every request. The upstream counts each call
// against the org's hourly quota and a token request costs a round trip, so: cache until shortly
// before expiry, never more than one token request in flight, and after a failure a short cooldown
// so that a broken token endpoint is not hammered by every incoming request.
import {
  UpstreamError,
  UpstreamMalformedError,
  UpstreamRateLimitedError,
  UpstreamUnauthenticatedError,
} from './errors.js';
import { NOOP_EVENTS } from './events.js';
import type { UpstreamEvents } from './events.js';
import { waitUnlessAborted } from './abort.js';
import { jsonBody, parsePayload, statusFailure } from './responses.js';
import type { UpstreamHttp } from './http.js';
import { NOOP_LOGGER } from './logger.js';
import type { UpstreamLogger } from './logger.js';
import { oauthErrorCode, tokenPayload } from './payloads.js';

const ROUTE = 'token';

/** Used when a token response has no expires_in (RFC 6749 makes it optional). */
const FALLBACK_LIFETIME_SEC = 300;
const EXPIRY_SLACK_MS = 1000;

/** What the client needs from a token source; `TokenManager` is the implementation. */
export interface TokenSource {
  getToken(options?: { signal?: AbortSignal }): Promise<string>;
  /** Forgets `token` if it is still the current one (the upstream answered 401 to it). */
  invalidate(token: string): void;
}

export interface TokenManagerOptions {
  /** The pool to the upstream; token and API calls go to the same host. */
  http: UpstreamHttp;
  clientId: string;
  clientSecret: string;
  /** Refresh this long before expiry; at most half the token's lifetime. Default 60. */
  refreshMarginSec?: number;
  /** Deadline of one token request. Default 10 000. */
  timeoutMs?: number;
  /** After a failed token request, getToken rejects at once with that failure for this long. Default 1000. */
  failureCooldownMs?: number;
  /** Clock in epoch milliseconds; injectable for tests. Default Date.now. */
  now?: () => number;
  logger?: UpstreamLogger;
  /** Told about every token request's outcome. */
  events?: UpstreamEvents;
}

interface CachedToken {
  value: string;
  /** From then on the token is refreshed in the background while still being served. */
  refreshAt: number;
  /** From then on the token is not served at all. */
  expiresAt: number;
}

/**
 * Fetches and caches the client-credentials access token (`POST /iroh/oauth2/token`).
 *
 * - `getToken()` returns the cached token until `expires_in - margin`; in the margin it still
 *   returns the cached token and refreshes in the background; once expired, callers wait.
 * - Single flight: however many callers, at most one token request is in flight; they all share
 *   its outcome.
 * - A failed request is not cached as a token, but for `failureCooldownMs` every caller that needs
 *   a new token gets the same typed error at once (UpstreamUnauthenticatedError for rejected
 *   credentials, UpstreamUnavailableError / UpstreamTimeoutError for transport trouble).
 *
 * The client secret and tokens live in private fields: they never show up in `JSON.stringify`,
 * `util.inspect`, logs or error messages.
 */
export class TokenManager implements TokenSource {
  readonly #http: UpstreamHttp;
  readonly #authorization: string;
  readonly #refreshMarginMs: number;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #logger: UpstreamLogger;
  readonly #events: UpstreamEvents;
  #current: CachedToken | undefined;
  #inflight: Promise<string> | undefined;
  #failure: { error: UpstreamError; until: number } | undefined;

  constructor(options: TokenManagerOptions) {
    this.#http = options.http;
    // Only the encoded header is kept; the secret itself is not stored anywhere else.
    this.#authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
    this.#refreshMarginMs = Math.max(0, options.refreshMarginSec ?? 60) * 1000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#cooldownMs = Math.max(0, options.failureCooldownMs ?? 1000);
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#events = options.events ?? NOOP_EVENTS;
  }

  async getToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    const now = this.#now();
    const current = this.#current;
    if (current && now < current.expiresAt) {
      if (now >= current.refreshAt && !this.#inflight && !this.#coolingDown(now)) {
        // Failures are logged and remembered by #fetch; the caller still has a valid token.
        this.#fetch().catch(() => {});
      }
      return current.value;
    }
    if (this.#failure && now < this.#failure.until && !this.#inflight) throw this.#failure.error;
    return waitUnlessAborted(this.#inflight ?? this.#fetch(), options.signal, ROUTE);
  }

  invalidate(token: string): void {
    if (this.#current?.value === token) {
      this.#current = undefined;
      this.#logger.debug({ route: ROUTE }, 'access token rejected by the upstream; dropped');
    }
  }

  /** Keeps logs and debuggers honest: nothing secret to show. */
  toJSON(): Record<string, unknown> {
    return { hasToken: this.#current !== undefined };
  }

  #coolingDown(now: number): boolean {
    return this.#failure !== undefined && now < this.#failure.until;
  }

  #fetch(): Promise<string> {
    const flight = this.#request().then(
      (token) => {
        this.#failure = undefined;
        this.#events.tokenFetch({ ok: true });
        return token;
      },
      (error: unknown) => {
        const failure =
          error instanceof UpstreamError
            ? error
            : new UpstreamMalformedError(ROUTE, 'The token request failed unexpectedly');
        const retryAfterMs =
          failure instanceof UpstreamRateLimitedError ? (failure.retryAfterSec ?? 0) * 1000 : 0;
        this.#failure = { error: failure, until: this.#now() + Math.max(this.#cooldownMs, retryAfterMs) };
        this.#events.tokenFetch({ ok: false });
        this.#logger.warn({ route: ROUTE, kind: failure.kind }, 'access token request failed');
        throw failure;
      },
    );
    this.#inflight = flight;
    const clear = () => {
      if (this.#inflight === flight) this.#inflight = undefined;
    };
    flight.then(clear, clear);
    return flight;
  }

  async #request(): Promise<string> {
    const requestedAt = this.#now();
    // No caller signal: the request is shared, and one caller leaving must not fail the others.
    const response = await this.#http.send({
      route: ROUTE,
      method: 'POST',
      path: '/iroh/oauth2/token',
      headers: {
        authorization: this.#authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      timeoutMs: this.#timeoutMs,
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      const code = oauthErrorCode(jsonBody(response));
      throw new UpstreamUnauthenticatedError(
        ROUTE,
        `The token request was rejected (${code ?? `status ${response.status}`}): check XDR_CLIENT_ID / ` +
          'XDR_CLIENT_SECRET, and that the credentials belong to the configured region',
      );
    }
    if (response.status < 200 || response.status > 299) throw statusFailure(ROUTE, response);
    const token = parsePayload(ROUTE, response, tokenPayload);

    const lifetimeMs = (token.expiresInSec ?? FALLBACK_LIFETIME_SEC) * 1000;
    // Counted from when the request was sent, so network time shortens our view of the lifetime
    // rather than lengthening it. Issuers round `exp` down to whole seconds, hence the slack.
    const usableMs = lifetimeMs - Math.min(EXPIRY_SLACK_MS, lifetimeMs / 4);
    const expiresAt = requestedAt + usableMs;
    // A margin longer than half the lifetime would refresh on nearly every call.
    const marginMs = Math.min(this.#refreshMarginMs, usableMs / 2);
    this.#current = { value: token.accessToken, refreshAt: expiresAt - marginMs, expiresAt };
    this.#logger.debug({ route: ROUTE, expiresInSec: lifetimeMs / 1000 }, 'access token obtained');
    return token.accessToken;
  }
}
