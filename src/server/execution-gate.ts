// The execution gate (MAX_CONCURRENT_IDS): operations enter execution while the users they may hold,
// with those of the operations already executing, fit its capacity. Memory grows with the users held,
// not with the number of operations: a thousand single lookups may run at once where twenty
// operations at the per-operation budget may not. operation-budget.ts weighs each operation.
import { overloaded } from '../errors.js';
import { createSemaphore, type Semaphore } from './semaphore.js';

/** The execution gate's settings (MAX_CONCURRENT_IDS, SERVER_QUEUE_TIMEOUT_MS). */
export interface ExecutionGateSettings {
  /** Users that executing operations may hold at once; an operation weighs its `users` cost. */
  maxConcurrentIds: number;
  /** How long an operation waits for room before 503 OVERLOADED; 0 refuses at once. */
  queueTimeoutMs: number;
}

export const EXECUTION_OVERLOADED_MESSAGE =
  'The gateway holds as many users as MAX_CONCURRENT_IDS allows; retry after the time in Retry-After';

/** What the gate needs of envelop's onExecute. */
export interface ExecutionHooks<A, R> {
  /** Aborted when the caller goes away or the operation's deadline passes (the context's). */
  signal: AbortSignal | undefined;
  executeFn: (args: A) => R | Promise<R>;
  setExecuteFn(execute: (args: A) => Promise<R>): void;
  setResultAndStopExecution(result: { errors: Error[] }): void;
}

/**
 * Admits an operation of `weight` users: at once (undefined, no promise) when there is room, else a
 * promise that settles when it starts or is refused with 503 OVERLOADED and Retry-After. The users
 * are given back when its execution ends, however it ends.
 */
export type ExecutionGate = <A, R>(weight: number, hooks: ExecutionHooks<A, R>) => Promise<void> | undefined;

export function createExecutionGate(
  settings: ExecutionGateSettings,
  maxIdsPerOperation: number,
): ExecutionGate {
  const held = createSemaphore({
    capacity: settings.maxConcurrentIds,
    // Room for four rounds of operations at the budget; each waiter holds its parsed request only.
    maxQueued: Math.max(16, 4 * Math.ceil(settings.maxConcurrentIds / maxIdsPerOperation)),
    timeoutMs: settings.queueTimeoutMs,
  });
  return (weight, hooks) =>
    admit(held, weight, hooks.signal, {
      start: (release) => hooks.setExecuteFn(releasing(hooks.executeFn, release)),
      refuse: () =>
        hooks.setResultAndStopExecution({
          errors: [
            overloaded(EXECUTION_OVERLOADED_MESSAGE, { status: 503, headers: { 'retry-after': '1' } }),
          ],
        }),
    });
}

/**
 * Enters `semaphore` with `weight`: at once (no promise) when there is room, else a promise that
 * settles when the operation starts or is refused. A caller who goes away, or whose deadline passes,
 * while waiting gives the place up and is refused.
 */
function admit(
  semaphore: Semaphore,
  weight: number,
  signal: AbortSignal | undefined,
  outcome: { start(release: () => void): void; refuse(): void },
): Promise<void> | undefined {
  let settle: (() => void) | undefined;
  let settled = false;
  const onAbort = () => {
    cancel();
    end(outcome.refuse);
  };
  const end = (then: () => void) => {
    settled = true;
    signal?.removeEventListener('abort', onAbort);
    then();
    settle?.();
  };
  const cancel = semaphore.enter(
    weight,
    (release) => end(() => outcome.start(release)),
    () => end(outcome.refuse),
  );
  if (settled) return undefined;
  if (signal?.aborted) {
    onAbort();
    return undefined;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise((resolve) => (settle = resolve));
}

/** `execute`, giving the operation's users back to the gate when it ends, however it ends. */
function releasing<A, R>(execute: (args: A) => R | Promise<R>, release: () => void): (args: A) => Promise<R> {
  return async (args) => {
    try {
      return await execute(args);
    } finally {
      release();
    }
  };
}
