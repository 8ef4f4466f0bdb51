import { UpstreamHttp } from './http.js';
import type { UpstreamLogger } from './logger.js';
import { resolveBaseUrl } from './regions.js';
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
  /** Keep-alive connections to the upstream. Default 16. */
  connections?: number;
  logger?: UpstreamLogger;
}

/** The wired upstream: one pool, one token manager and the client, closed together. */
export interface Upstream {
  api: UserApi;
  tokenManager: TokenManager;
  /** Closes the connection pool; call once when the process stops. */
  close(): Promise<void>;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const http = new UpstreamHttp({
    baseUrl: resolveBaseUrl(options),
    connections: options.connections,
    logger: options.logger,
  });
  const tokenManager = new TokenManager({
    http,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
  });
  const api = new UserApiClient({ http, tokenManager, timeoutMs: options.timeoutMs, logger: options.logger });
  return { api, tokenManager, close: () => http.close() };
}
