// An open-loop load generator: requests start on a fixed schedule (`rate` per second) whether or not
// earlier ones have answered, and each latency is measured from its scheduled start, so a slow
// server is charged for the queue it causes (no coordinated omission). Written here because
// autocannon's fixed-rate mode (`overallRate`) reports latencies below the upstream's injected delay
// (a 1 ms minimum behind a 20 ms emulator), which makes its figures useless for "added latency".
//
// Several targets are compared in interleaved rounds (A B C, then B C A, ...), each target's samples
// pooled over its rounds: a stall of this shared machine (another process's GC, the hypervisor) then
// lands on every target alike instead of deciding one target's p99 alone.
import { Pool } from 'undici';
import type { Request } from 'autocannon';

export interface OpenLoopResult {
  rate: number;
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests measured (all rounds). */
  samples: number;
  errors: number;
}

export interface OpenLoopTarget {
  name: string;
  /** Origin of the target. */
  url: string;
  request: () => Request;
}

/** What one target has sent so far, over all its rounds. */
interface Tally {
  pool: Pool;
  latencies: number[];
  errors: number;
  elapsedMs: number;
}

/** Sends `rate` requests per second for `durationSec`, adding to `tally`. */
async function runFor(target: OpenLoopTarget, tally: Tally, rate: number, durationSec: number) {
  const total = Math.round(rate * durationSec);
  const interval = 1000 / rate;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  const send = async (scheduled: number) => {
    const { method = 'GET', path = '/', headers = {}, body } = target.request();
    try {
      const response = await tally.pool.request({
        method: method as 'GET' | 'POST',
        path,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      await response.body.dump();
      if (response.statusCode >= 300) tally.errors++;
    } catch {
      tally.errors++;
    }
    tally.latencies.push(performance.now() - scheduled);
  };
  for (let i = 0; i < total; i++) {
    const scheduled = started + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(scheduled));
  }
  await Promise.all(inFlight);
  tally.elapsedMs += performance.now() - started;
}

/** Each target at `rate` for `rounds` rounds of `roundSec`, interleaved; figures by target name. */
export async function openLoop<Name extends string>(options: {
  targets: (OpenLoopTarget & { name: Name })[];
  rate: number;
  roundSec: number;
  rounds: number;
}): Promise<Record<Name, OpenLoopResult>> {
  const { targets, rate } = options;
  const tallies = targets.map((t): Tally => ({
    pool: new Pool(t.url, { connections: 256, pipelining: 1 }),
    latencies: [],
    errors: 0,
    elapsedMs: 0,
  }));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (round + k) % targets.length;
        await runFor(targets[i]!, tallies[i]!, rate, options.roundSec);
      }
    }
  } finally {
    await Promise.all(tallies.map((tally) => tally.pool.close()));
  }
  const ms = (n: number) => Math.round(n * 100) / 100;
  const results = {} as Record<Name, OpenLoopResult>;
  targets.forEach((target, i) => {
    const { latencies, errors, elapsedMs } = tallies[i]!;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    results[target.name] = {
      rate,
      achievedRps: Math.round(latencies.length / (elapsedMs / 1000)),
      p50Ms: ms(at(0.5)),
      p99Ms: ms(at(0.99)),
      samples: latencies.length,
      errors,
    };
  });
  return results;
}
