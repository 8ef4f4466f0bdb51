import { authorizedApi } from './auth/authorized-api.js';
import { ANONYMOUS, type Caller } from './auth/caller.js';
import { createLoaders, type Loaders } from './loaders/create-loaders.js';
import { createLogger, type Logger } from './logger.js';
import { requestIdOf } from './security/request-id.js';
import type { UserApi } from './upstream/user-api.js';

/** Settings the resolvers need, fixed for the life of the app. */
export interface SchemaSettings {
  maxUserIds: number;
  /** Every upstream call of one operation stops when this passes (UPSTREAM_TIMEOUT). Default 15 000. */
  operationDeadlineMs?: number | undefined;
}

export const DEFAULT_OPERATION_DEADLINE_MS = 15_000;

/** The per-request context every resolver receives. */
export interface GraphQLContext {
  api: UserApi;
  loaders: Loaders;
  settings: SchemaSettings;
  /** Aborted when the caller goes away or the operation's deadline passes; passed to every upstream call. */
  signal: AbortSignal;
  /** Who is calling; `api` already enforces the caller's scopes. */
  caller: Caller;
  /** The caller's sane `x-request-id`, or a new UUID. */
  requestId: string;
  /** Audit events and request logs. */
  logger: Logger;
  /** Stops the deadline timer and the disconnect listener; called when the operation is done. */
  dispose(): void;
}

/** What the security layer established for this request (see src/security/plugins.ts). */
export interface RequestSecurity {
  caller: Caller;
  /** Forward mode: the User API as the caller; otherwise the shared client is used. */
  api?: UserApi;
  logger: Logger;
}

const SILENT = createLogger({ level: 'silent' });

export function createContext(
  api: UserApi,
  settings: SchemaSettings,
  request: Request,
  security: RequestSecurity = { caller: ANONYMOUS, logger: SILENT },
): GraphQLContext {
  const { signal, dispose } = operationSignal(
    request.signal,
    settings.operationDeadlineMs ?? DEFAULT_OPERATION_DEADLINE_MS,
  );
  // Every path to the upstream (resolvers, loaders) goes through the caller's scope check.
  const callerApi = authorizedApi(security.api ?? api, security.caller);
  return {
    api: callerApi,
    settings,
    signal,
    loaders: createLoaders(callerApi, { signal }),
    caller: security.caller,
    requestId: requestIdOf(request),
    logger: security.logger,
    dispose,
  };
}

/**
 * The operation's signal: aborted with an AbortError when the caller goes away, or with a
 * TimeoutError (which the upstream layer reports as UPSTREAM_TIMEOUT) when the deadline passes.
 * Hand-made rather than AbortSignal.any + AbortSignal.timeout: those keep every finished request's
 * signal, listeners and context reachable until its timer fires (seconds of garbage at hundreds of
 * requests a second), where `dispose` lets them go as soon as the response is written.
 */
export function operationSignal(
  callerSignal: AbortSignal,
  deadlineMs: number,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(callerSignal.reason);
  const timer = setTimeout(
    () =>
      controller.abort(new DOMException(`The operation deadline of ${deadlineMs} ms passed`, 'TimeoutError')),
    deadlineMs,
  );
  timer.unref();
  if (callerSignal.aborted) onCallerAbort();
  else callerSignal.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      callerSignal.removeEventListener('abort', onCallerAbort);
    },
  };
}
