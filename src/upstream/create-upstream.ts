import { callerTokenSource } from './caller-token.js';
import type { UpstreamEvents } from './events.js';
import { UpstreamHttp } from './http.js';
import type { UpstreamLogger } from './logger.js';
import { resolveBaseUrl } from './regions.js';
import { createResilience } from './resilience.js';
import type { CircuitBreaker, ResilienceOptions } from './resilience.js';
import type { Region } from './regions.js';
import { TokenManager } from './token-manager.js';
import { UserApiClient } from './user-api-client.js';
import type { UserApi } from './user-api.js';

export interface UpstreamOptions {
  /** Wins over `region`; e.g. the emulator's URL. */
  baseUrl?: string;
  /** Picks Cisco's regional host when no `baseUrl` is given. Default 'us'. */
  region?: Region;
  clientId: string;
  clientSecret: string;
  /** Deadline of one HTTP attempt, token requests included. Default 10 000. */
  timeoutMs?: number;
  /** Keep-alive connections to the upstream. Default 128. */
  connections?: number;
  /** Larger response bodies are refused as malformed. Default 10 MiB. */
  maxBodyBytes?: number;
  logger?: UpstreamLogger;
  /** Metrics and tracing hooks; default: none. */
  events?: UpstreamEvents;
  /**
   * Retries, retry budget and circuit breaker for reads (see resilience.ts); defaults apply when
   * absent. false: every read is one attempt, no breaker (tests that count single calls).
   */
  resilience?: Omit<ResilienceOptions, 'events'> | false;
  /** The token manager's clock in epoch milliseconds (when a token is due). Default Date.now. */
  now?: () => number;
}

/** The wired upstream: one pool, one token manager and the client, closed together. */
export interface Upstream {
  api: UserApi;
  tokenManager: TokenManager;
  /** The read circuit breaker, shared by every caller; undefined when resilience is off. */
  breaker: CircuitBreaker | undefined;
  /**
   * AUTH_MODE=forward: the User API as one caller, with their own bearer token instead of the
   * service token. Same pool; no token cache, no refresh (a 401 is the caller's to fix).
   */
  forCaller(token: string): UserApi;
  /** Closes the connection pool, letting calls in flight finish; call once when the process stops. */
  close(): Promise<void>;
  /** Closes the connection pool at once, aborting calls in flight (shutdown past its deadline). */
  destroy(): Promise<void>;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const http = new UpstreamHttp({
    baseUrl: resolveBaseUrl(options),
    connections: options.connections,
    maxBodyBytes: options.maxBodyBytes,
    logger: options.logger,
    events: options.events,
  });
  const tokenManager = new TokenManager({
    http,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    events: options.events,
    now: options.now,
  });
  // One breaker and one retry budget per upstream: they describe the upstream's health and the
  // org's quota, which every request (and every caller) shares.
  const resilience =
    options.resilience === false
      ? undefined
      : createResilience({ ...options.resilience, events: options.events });
  const readPolicy = resilience?.readPolicy;
  const api = new UserApiClient({
    http,
    tokenManager,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    readPolicy,
  });
  const forCaller = (token: string): UserApi =>
    new UserApiClient({
      http,
      tokenManager: callerTokenSource(token),
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      readPolicy,
    });
  return {
    api,
    tokenManager,
    breaker: resilience?.breaker,
    forCaller,
    close: () => http.close(),
    destroy: () => http.destroy(),
  };
}
