// Giving up on an upstream call when the caller leaves or the operation's deadline passes: the
// transport (http.ts), the shared batches of the cache and the resilience layer all wait this way.
import { UpstreamTimeoutError } from './errors.js';

/** The operation's deadline passed while this call was waiting (see createContext). */
export class DeadlineExceededError extends UpstreamTimeoutError {}

/**
 * What to throw when the caller's signal aborted: the reason itself (the caller left), or, when the
 * reason is a timeout (AbortSignal.timeout, the per-operation deadline), a typed timeout.
 */
export function abortReason(signal: AbortSignal, route: string): unknown {
  const reason: unknown = signal.reason;
  // By name, not instanceof: DOMException may come from another realm (test sandboxes).
  if (typeof reason === 'object' && reason !== null && 'name' in reason && reason.name === 'TimeoutError') {
    return new DeadlineExceededError(route, `The operation's deadline passed while waiting for ${route}`);
  }
  return reason;
}

/**
 * Waits for a promise shared with other callers, but gives up as soon as this caller's signal
 * aborts (with abortReason): one caller leaving must not cancel the shared work for the others.
 */
export function waitUnlessAborted<T>(
  shared: Promise<T>,
  signal: AbortSignal | undefined,
  route: string,
): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(abortReason(signal, route) as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal, route) as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
