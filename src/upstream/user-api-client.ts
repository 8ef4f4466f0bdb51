import type { z } from 'zod';
import {
  UpstreamBadInputError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamUnauthenticatedError,
} from './errors.js';
import { jsonBody, parsePayload, statusFailure } from './responses.js';
import type { UpstreamHttp, UpstreamRequest, UpstreamResponse } from './http.js';
import { NOOP_LOGGER } from './logger.js';
import type { UpstreamLogger } from './logger.js';
import {
  badInputReasons,
  batchUsersPayload,
  forbiddenScopes,
  searchUsersPayload,
  toWireChanges,
  toWireFilter,
  toWireSortField,
  toWireSortValue,
  userPayload,
  whoamiPayload,
} from './payloads.js';
import type { TokenSource } from './token-manager.js';
import { packBatches } from './batches.js';
import type { SearchUsersParams, SearchUsersResult, User, UserChanges, Whoami } from './types.js';
import type { CallOptions, UserApi } from './user-api.js';

const USER_MGMT = '/iroh/user-mgmt';

/**
 * Wraps every attempt of a read call (get, batch, search, whoami); never a write. The default runs
 * the attempt once. A retry policy or circuit breaker plugs in here (see resilience.ts): it calls
 * `attempt(n)` for attempt n = 1, 2, ... and must stop when the call's `signal` aborts.
 */
export type ReadPolicy = <T>(
  route: string,
  attempt: (attemptNumber: number) => Promise<T>,
  context?: Pick<CallOptions, 'signal' | 'beforeRetry'>,
) => Promise<T>;

export interface UserApiClientOptions {
  /** The pool to the upstream (its base URL decides where calls go). */
  http: UpstreamHttp;
  /** Usually the process-wide TokenManager. */
  tokenManager: TokenSource;
  /** Deadline of one HTTP attempt. Default 10 000. */
  timeoutMs?: number;
  readPolicy?: ReadPolicy;
  logger?: UpstreamLogger;
}

interface Call {
  route: string;
  method: 'GET' | 'POST';
  path: string;
  query?: URLSearchParams;
  json?: unknown;
  /** For events: the ids of a batch call. */
  batchSize?: number;
}

const runOnce: ReadPolicy = (_route, attempt) => attempt(1);

/**
 * The User API over HTTP: the only code that calls the upstream's REST routes. Responses are
 * validated and mapped to domain objects; failures are typed UpstreamErrors whose messages we write
 * ourselves. A 401 drops the token, fetches a new one and replays the call once.
 */
export class UserApiClient implements UserApi {
  readonly #http: UpstreamHttp;
  readonly #tokens: TokenSource;
  readonly #timeoutMs: number;
  readonly #readPolicy: ReadPolicy;
  readonly #logger: UpstreamLogger;

  constructor(options: UserApiClientOptions) {
    this.#http = options.http;
    this.#tokens = options.tokenManager;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#readPolicy = options.readPolicy ?? runOnce;
    this.#logger = options.logger ?? NOOP_LOGGER;
  }

  getUser(id: string, options: CallOptions = {}): Promise<User> {
    return this.#read(
      { route: 'getUser', method: 'GET', path: `${USER_MGMT}/users/${encodeURIComponent(id)}` },
      userPayload,
      options,
    );
  }

  async getUsers(ids: readonly string[], options: CallOptions = {}): Promise<(User | null)[]> {
    // The path's one de-duplication: whoever asks, an id goes upstream once (and costs quota once).
    const distinct = [...new Set(ids)];
    if (distinct.length === 0) return [];
    const chunks = packBatches(distinct);

    // One failed chunk fails the lookup, so the other chunks are cancelled rather than left running.
    // (One chunk, the usual case, has no siblings: its own signal will do.)
    const siblings = chunks.length === 1 ? undefined : new AbortController();
    const signal = !siblings
      ? options.signal
      : options.signal
        ? AbortSignal.any([options.signal, siblings.signal])
        : siblings.signal;
    let pages: User[][];
    try {
      pages = await Promise.all(
        chunks.map((chunk) => {
          const query = new URLSearchParams();
          for (const id of chunk) query.append('id', id);
          return this.#read(
            {
              route: 'batchUsers',
              method: 'GET',
              path: `${USER_MGMT}/batch/users`,
              query,
              batchSize: chunk.length,
            },
            batchUsersPayload,
            {
              signal,
              requestId: options.requestId,
              ...(options.beforeRetry ? { beforeRetry: options.beforeRetry } : {}),
            },
          );
        }),
      );
    } catch (error) {
      siblings?.abort();
      throw error;
    }

    // The path's one re-ordering: the upstream answers in storage order, may omit ids and could repeat
    // rows; the first row per id is kept, and a row nobody asked for is never looked up.
    const byId = new Map<string, User>();
    for (const page of pages) {
      for (const user of page) if (!byId.has(user.id)) byId.set(user.id, user);
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  searchUsers(params: SearchUsersParams, options: CallOptions = {}): Promise<SearchUsersResult> {
    const query = new URLSearchParams();
    if (params.sortBy !== undefined) query.set('sort_by', toWireSortField(params.sortBy));
    if (params.sortOrder !== undefined) query.set('sort_order', params.sortOrder);
    if (params.offset !== undefined) query.set('offset', String(params.offset));
    if (params.limit !== undefined) query.set('limit', String(params.limit));
    for (const value of params.searchAfter ?? []) query.append('search_after', toWireSortValue(value));
    return this.#read(
      {
        route: 'searchUsers',
        method: 'POST',
        path: `${USER_MGMT}/search/users`,
        query,
        json: toWireFilter(params.filter),
      },
      searchUsersPayload,
      options,
    );
  }

  async updateUser(id: string, changes: UserChanges, options: CallOptions = {}): Promise<User> {
    const call: Call = {
      route: 'changeUser',
      method: 'POST',
      path: `${USER_MGMT}/users/${encodeURIComponent(id)}`,
      json: toWireChanges(changes),
    };
    return parsePayload(call.route, await this.#call(call, options), userPayload);
  }

  whoami(options: CallOptions = {}): Promise<Whoami> {
    return this.#read(
      { route: 'whoami', method: 'GET', path: '/iroh/profile/whoami' },
      whoamiPayload,
      options,
    );
  }

  #read<S extends z.ZodType>(call: Call, schema: S, options: CallOptions): Promise<z.output<S>> {
    return this.#readPolicy(
      call.route,
      async (attempt) => parsePayload(call.route, await this.#call(call, options, attempt), schema),
      { signal: options.signal, beforeRetry: options.beforeRetry },
    );
  }

  /**
   * One call with Cisco's reference behaviour on 401: drop the token, get a new one, replay once.
   * Resolves with a 2xx response only; every other outcome is a typed error.
   */
  async #call(call: Call, options: CallOptions, attempt = 1): Promise<UpstreamResponse> {
    const { signal, requestId } = options;
    const token = await this.#tokens.getToken({ signal });
    let response = await this.#send(call, token, options, attempt);
    if (response.status === 401) {
      this.#tokens.invalidate(token);
      this.#logger.debug(
        { requestId, route: call.route },
        'upstream answered 401; replaying with a new token',
      );
      const fresh = await this.#tokens.getToken({ signal });
      response = await this.#send(call, fresh, options, attempt);
      // No further replay and no second invalidation: a token that fails right after issue points to
      // a problem a new token will not fix, and each later call still gets its own single replay.
      if (response.status === 401) {
        throw new UpstreamUnauthenticatedError(
          call.route,
          `The User API rejected a freshly issued access token for ${call.route}`,
        );
      }
    }
    if (response.status >= 200 && response.status <= 299) return response;
    throw this.#failure(call.route, response);
  }

  #send(call: Call, token: string, options: CallOptions, attempt: number): Promise<UpstreamResponse> {
    const hasBody = call.json !== undefined;
    const request: UpstreamRequest = {
      route: call.route,
      method: call.method,
      path: call.path,
      query: call.query,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
      },
      body: hasBody ? JSON.stringify(call.json) : undefined,
      timeoutMs: this.#timeoutMs,
      signal: options.signal,
      requestId: options.requestId,
      attempt,
      ...(call.batchSize === undefined ? {} : { batchSize: call.batchSize }),
    };
    return this.#http.send(request);
  }

  #failure(route: string, response: UpstreamResponse): Error {
    switch (response.status) {
      case 400:
        return new UpstreamBadInputError(route, badInputReasons(jsonBody(response)));
      case 403: {
        const scopes = forbiddenScopes(jsonBody(response));
        return new UpstreamForbiddenError(route, scopes.missing, scopes.required);
      }
      case 404:
        return new UpstreamNotFoundError(route, `The User API found no such user (${route})`);
      default:
        return statusFailure(route, response);
    }
  }
}
