// A weighted counting semaphore with a bounded first-come queue, a wait limit and cancellation, for the
// server's two bounds on concurrent work (http-server.ts counts requests, operation-budget.ts weighs
// executing operations by the user ids they hold). Written here: the kept libraries (async-mutex,
// p-limit) offer weights or cancellation, but none a bounded queue whose waiters time out and leave
// one by one, and the whole of it is a counter and a queue.

export interface SemaphoreOptions {
  /** Total weight that may be held at once. */
  capacity: number;
  /** Waiters that may queue; past it a newcomer is refused at once. */
  maxQueued: number;
  /** How long a waiter waits before it is refused; 0 refuses at once whatever does not fit now. */
  timeoutMs: number;
}

export interface Semaphore {
  /**
   * Calls `start` with the release of `weight` (clamped to the capacity, so that any weight can run
   * alone) as soon as it fits, at once when it fits now and no one waits before it; or `refuse` when
   * the queue is full or the wait times out. Returns a cancel that gives a waiting place up (a no-op
   * once started or refused). Exactly one of `start` and `refuse` is called, unless cancelled first.
   */
  enter(weight: number, start: (release: () => void) => void, refuse: () => void): () => void;
  /** The weight held now. */
  readonly held: number;
}

interface Waiter {
  weight: number;
  start(): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const NOTHING = () => {};

export function createSemaphore(options: SemaphoreOptions): Semaphore {
  const { capacity, maxQueued, timeoutMs } = options;
  let held = 0;
  const queue: Waiter[] = [];

  // First come, first served: a heavy waiter at the head is not overtaken by light ones behind it.
  const drain = () => {
    while (queue.length > 0 && held + (queue[0] as Waiter).weight <= capacity) {
      const next = queue.shift() as Waiter;
      clearTimeout(next.timer);
      next.start();
    }
  };
  const take = (weight: number, start: (release: () => void) => void) => {
    held += weight;
    let released = false;
    start(() => {
      if (released) return;
      released = true;
      held -= weight;
      drain();
    });
  };

  return {
    get held() {
      return held;
    },
    enter(requested, start, refuse) {
      const weight = Math.min(Math.max(requested, 1), capacity);
      if (queue.length === 0 && held + weight <= capacity) {
        take(weight, start);
        return NOTHING;
      }
      if (timeoutMs === 0 || queue.length >= maxQueued) {
        refuse();
        return NOTHING;
      }
      const waiter: Waiter = { weight, start: () => take(weight, start), timer: undefined };
      const leave = () => {
        const index = queue.indexOf(waiter);
        if (index === -1) return false;
        queue.splice(index, 1);
        clearTimeout(waiter.timer);
        return true;
      };
      // The one that leaves may have held back lighter ones behind it: they may start now.
      waiter.timer = setTimeout(() => {
        if (!leave()) return;
        refuse();
        drain();
      }, timeoutMs);
      queue.push(waiter);
      return () => {
        if (leave()) drain();
      };
    },
  };
}
