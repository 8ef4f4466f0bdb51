// How many retries the upstream may be sent: a share of the requests of a sliding window, so that a
// failing User API is not sent a multiple of the load by retries (see resilience.ts).

/**
 * Times of one sliding window, oldest first. Expired ones are passed over by a moving head and
 * dropped in one go once they are half the array: amortised O(1) per call. (Slicing the array on
 * every call copied the whole window: 13,000 numbers, 104 KB of garbage, per upstream call at 1,300
 * calls a second with the 10 s window.)
 */
class SlidingWindow {
  #times: number[] = [];
  #head = 0;

  /** How many times are later than `since`, after forgetting the others. */
  countAfter(since: number): number {
    const times = this.#times;
    let head = this.#head;
    while (head < times.length && (times[head] ?? 0) <= since) head++;
    if (head > 64 && head * 2 > times.length) {
      times.splice(0, head);
      head = 0;
    }
    this.#head = head;
    return times.length - head;
  }

  add(time: number): void {
    this.#times.push(time);
  }
}

/** Retries may be at most `ratio` of the requests of the last window, plus a floor. */
export class RetryBudget {
  readonly #ratio: number;
  readonly #floor: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #requests = new SlidingWindow();
  readonly #retries = new SlidingWindow();

  constructor(options: { ratio: number; minRetries: number; windowMs: number; now: () => number }) {
    this.#ratio = options.ratio;
    this.#floor = options.minRetries;
    this.#windowMs = options.windowMs;
    this.#now = options.now;
  }

  recordRequest(): void {
    const now = this.#now();
    this.#requests.countAfter(now - this.#windowMs);
    this.#requests.add(now);
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    const now = this.#now();
    const since = now - this.#windowMs;
    const requests = this.#requests.countAfter(since);
    if (this.#retries.countAfter(since) >= this.#floor + this.#ratio * requests) return false;
    this.#retries.add(now);
    return true;
  }
}
