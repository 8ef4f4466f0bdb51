import { randomUUID } from 'node:crypto';
import { ANONYMOUS, type Caller } from '../auth/caller.js';
import { createLoaders, type Loaders } from '../loaders.js';
import { createLogger, type Logger } from '../logger.js';
import type { CallOptions, UserApi } from '../upstream/user-api.js';

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
  /** Aborted when the caller goes away or the operation's deadline passes. */
  signal: AbortSignal;
  /** What every upstream call of the operation is given: `signal`, and `requestId` for log lines. */
  calls: CallOptions;
  /** Who is calling; `api` already enforces the caller's scopes. */
  caller: Caller;
  /** The caller's sane `x-request-id`, or a new UUID. */
  requestId: string;
  /** Audit events and request logs. */
  logger: Logger;
  /** Stops the deadline timer and the disconnect listener; called when the operation is done. */
  dispose(): void;
}

/** What the server layer established for this request (see src/server/app.ts). */
export interface RequestScope {
  caller: Caller;
  /** The caller's sane `x-request-id`, or a new UUID (src/server/request-id.ts). */
  requestId: string;
  logger: Logger;
}

const SILENT = createLogger({ level: 'silent' });

/**
 * `api` is the caller's UserApi as gateway.ts stacks it (client → cache → scope check): the context
 * hands it to the resolvers and the loaders as it is.
 */
export function createContext(
  api: UserApi,
  settings: SchemaSettings,
  request: Request,
  scope: RequestScope = { caller: ANONYMOUS, requestId: randomUUID(), logger: SILENT },
): GraphQLContext {
  const { signal, dispose } = operationSignal(
    request.signal,
    settings.operationDeadlineMs ?? DEFAULT_OPERATION_DEADLINE_MS,
  );
  const calls = { signal, requestId: scope.requestId };
  return {
    api,
    settings,
    signal,
    calls,
    loaders: createLoaders(api, calls),
    caller: scope.caller,
    requestId: scope.requestId,
    logger: scope.logger,
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
