// An open-loop load generator: requests start on a fixed schedule (`rate` per second) whether or not
// earlier ones have answered, and each latency is measured from its scheduled start, so a slow
// server is charged for the queue it causes (no coordinated omission). Written here because
// autocannon's fixed-rate mode (`overallRate`) reports latencies below the upstream's injected delay
// (a 1 ms minimum behind a 20 ms emulator), which makes its figures useless for "added latency".
import { Pool } from 'undici';
import type { Request } from 'autocannon';

export interface OpenLoopResult {
  rate: number;
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function openLoop(options: {
  url: string;
  rate: number;
  durationSec: number;
  request: () => Request;
}): Promise<OpenLoopResult> {
  const pool = new Pool(options.url, { connections: 256, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(options.rate * options.durationSec);
  const interval = 1000 / options.rate;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  const send = async (scheduled: number) => {
    const { method = 'GET', path = '/', headers = {}, body } = options.request();
    try {
      const response = await pool.request({
        method: method as 'GET' | 'POST',
        path,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      await response.body.dump();
      if (response.statusCode >= 300) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - scheduled);
  };
  for (let i = 0; i < total; i++) {
    const scheduled = started + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(scheduled));
  }
  await Promise.all(inFlight);
  const elapsedSec = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const ms = (n: number) => Math.round(n * 100) / 100;
  return {
    rate: options.rate,
    achievedRps: Math.round(latencies.length / elapsedSec),
    p50Ms: ms(at(0.5)),
    p99Ms: ms(at(0.99)),
    errors,
  };
}
