import { AsyncLocalStorage } from 'node:async_hooks';

// The request id of the operation being served, for log lines written far from the request (the
// upstream client, the loaders) without threading it through every call. Holds no state of its own
// beyond what `runInRequestScope` puts there for the duration of one request.
const scope = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `fn` (one HTTP request) so that every log line written inside carries `requestId`. */
export function runInRequestScope<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

/** The request id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
