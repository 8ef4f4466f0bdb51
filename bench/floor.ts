// npm run bench:floor: what a GraphQL server costs before the gateway adds anything. CPU per operation
// and throughput, uncached, of the workloads issue 14 sets targets for: W1 (`user(id)`, 10 clients),
// W2 (`users(ids)` of 100, 10 clients) and W5 (50 clients, the same 100 ids) with the upstream at
// 0 ms, and W1far (W1 with 200 clients, the upstream 100 ms away), for:
//   gateway  dist/main.js as `npm start` runs it, CACHE_ENABLED=false;
//   B3       graphql-yoga with its defaults and one resolver per Query field (graphql-baselines.ts);
//   B4       node:http + graphql-js, documents cached by text (graphql-baselines.ts);
//   B2       the bare REST proxy of `npm run bench` (b2-proxy.ts).
// All four make the same upstream calls and give the same answers (checked first). Interleaved rounds
// (the order reversed every other round), medians. Then the half-load figure: W1 open loop at 200/s
// against a 20 ms upstream, latency added over B1 (the emulator straight). On Linux with 2+ CPUs and
// `taskset`, the target measured runs on CPU 1 and everything else (emulator, load) on CPU 0, so CPU
// per operation is the target's own; otherwise it says so. No assertions: it measures and writes
// bench/results/floor.{json,md}. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Request } from 'autocannon';
import { openLoop } from './open-loop.js';
import {
  USER,
  USERS,
  pick,
  root,
  round,
  setDelay,
  startGateway,
  startService,
  tokenOf,
  userIdsOf,
  type Service,
} from './services.js';

const ROUNDS = 4;
/** Issue 14's half-load figure: about half of what 10 clients get from a 20 ms upstream. */
const HALF_LOAD = { rate: 200, delayMs: 20, rounds: 4, roundSec: 3 };
const SECONDS = 4;
// Per target: W1 then W2, unmeasured. The gateway reaches its steady cost only after some 10,000
// operations (see bench/README.md, Method).
const WARMUP_SEC = { W1: 8, W2: 3, W5: 2, W1far: 2 };
const TARGETS = ['gateway', 'B3', 'B4', 'B2'] as const;
const WORKLOADS = ['W1', 'W2', 'W5', 'W1far'] as const;
const CLIENTS = { W1: 10, W2: 10, W5: 50, W1far: 200 };
const DELAY_MS = { W1: 0, W2: 0, W5: 0, W1far: 100 };
type Target = (typeof TARGETS)[number];
type Workload = (typeof WORKLOADS)[number];

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const pinned = process.platform === 'linux' && cpus().length >= 2 && hasTaskset();
/** Every thread of `pid` on `cpu`. */
const pin = (pid: number, cpu: number) => {
  if (pinned) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
};
const TICKS_PER_SEC = pinned ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) : 100;
/** User + system CPU seconds of a process so far (Linux /proc). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/** One request of `workload` against `target`, made afresh for each call. */
function requestOf(target: Target, workload: Workload, ids: string[]): Request {
  const start = workload === 'W5' ? 0 : Math.floor(Math.random() * (ids.length - 100));
  const window = ids.slice(start, start + 100);
  const single = workload === 'W1' || workload === 'W1far';
  if (target === 'B2') {
    return single
      ? { method: 'GET', path: `/user?id=${encodeURIComponent(pick(ids))}` }
      : { method: 'GET', path: `/users?ids=${window.map(encodeURIComponent).join(',')}` };
  }
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      single ? { query: USER, variables: { id: pick(ids) } } : { query: USERS, variables: { ids: window } },
    ),
  };
}

async function load(service: Service, target: Target, workload: Workload, ids: string[], seconds: number) {
  await setDelay(emulatorUrl, DELAY_MS[workload]);
  const before = pinned ? cpuSecondsOf(service.pid) : 0;
  const result = await autocannon({
    url: service.url,
    connections: CLIENTS[workload],
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, ...requestOf(target, workload, ids) }) }],
  });
  const ops = Math.max(1, result.requests.total);
  return {
    rps: Math.round((result.requests.average * result['2xx']) / ops),
    cpuMsPerOp: pinned ? round(((cpuSecondsOf(service.pid) - before) * 1000) / ops, 2) : null,
    failed: result.errors + result.timeouts + result.non2xx,
  };
}

/** The same `user(id)` from every GraphQL target: they must do the same work to be compared. */
async function sameAnswers(services: Record<Target, Service>, id: string): Promise<void> {
  const answers = new Map<string, string>();
  for (const target of ['gateway', 'B3', 'B4'] as const) {
    const response = await fetch(services[target].url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: USER, variables: { id } }),
    });
    answers.set(target, JSON.stringify(await response.json()));
  }
  if (new Set(answers.values()).size !== 1) {
    throw new Error(`the targets answer differently: ${JSON.stringify(Object.fromEntries(answers))}`);
  }
}

interface Figures {
  rps: number;
  vsB2: number;
  cpuMsPerOp: number | null;
  failed: number;
  rounds: { rps: number[]; cpuMsPerOp: number[] };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

execFileSync('npm', ['run', '--silent', 'build:emit'], { cwd: root, stdio: 'inherit' });
pin(process.pid, 0);
const emulator = await startService('emulator-process.ts');
const emulatorUrl = emulator.url;
/** Every process started, stopped at the end even when a later start fails. */
const started: Service[] = [emulator];
const start = async (starting: Promise<Service>) => {
  const service = await starting;
  started.push(service);
  return service;
};
try {
  pin(emulator.pid, 0);
  const token = await tokenOf(emulator.url);
  const ids = await userIdsOf(emulator.url, token);
  const services: Record<Target, Service> = {
    gateway: await start(startGateway(emulator.url, { CACHE_ENABLED: 'false' })),
    B3: await start(startService('graphql-baselines.ts', [emulator.url, 'yoga'])),
    B4: await start(startService('graphql-baselines.ts', [emulator.url, 'graphql-js'])),
    B2: await start(startService('b2-proxy.ts', [emulator.url])),
  };
  for (const service of Object.values(services)) pin(service.pid, 1);
  await sameAnswers(services, ids[0] ?? '');
  console.log(
    pinned ? 'Pinned: targets on CPU 1, emulator and load on CPU 0.' : 'NOT pinned: CPU per op not measured.',
  );
  for (const target of TARGETS) {
    for (const workload of WORKLOADS)
      await load(services[target], target, workload, ids, WARMUP_SEC[workload]);
  }
  const samples: Record<string, { rps: number[]; cpu: number[]; failed: number }> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const workload of WORKLOADS) {
      const order = r % 2 ? [...TARGETS].reverse() : [...TARGETS];
      for (const target of order) {
        const figures = await load(services[target], target, workload, ids, SECONDS);
        const s = (samples[`${workload} ${target}`] ??= { rps: [], cpu: [], failed: 0 });
        s.rps.push(figures.rps);
        if (figures.cpuMsPerOp !== null) s.cpu.push(figures.cpuMsPerOp);
        s.failed += figures.failed;
      }
    }
  }
  const figures = {} as Record<Workload, Record<Target, Figures>>;
  for (const workload of WORKLOADS) {
    const b2 = median(samples[`${workload} B2`]?.rps ?? []);
    figures[workload] = {} as Record<Target, Figures>;
    for (const target of TARGETS) {
      const s = samples[`${workload} ${target}`] ?? { rps: [], cpu: [], failed: 0 };
      const rps = median(s.rps);
      figures[workload][target] = {
        rps,
        vsB2: round(rps / Math.max(1, b2), 2),
        cpuMsPerOp: pinned ? median(s.cpu) : null,
        failed: s.failed,
        rounds: { rps: s.rps, cpuMsPerOp: s.cpu },
      };
    }
  }
  // Half load at 20 ms: each target, and B1 (the emulator straight), in interleaved open-loop rounds.
  await setDelay(emulatorUrl, HALF_LOAD.delayMs);
  const halfLoad = await openLoop({
    targets: [
      {
        name: 'B1',
        url: emulatorUrl,
        request: (): Request => ({
          method: 'GET',
          path: `/iroh/user-mgmt/batch/users?id=${encodeURIComponent(pick(ids))}`,
          headers: { authorization: `Bearer ${token}` },
        }),
      },
      ...TARGETS.map((target) => ({
        name: target,
        url: new URL(services[target].url).origin,
        request: () => requestOf(target, 'W1', ids),
      })),
    ],
    rate: HALF_LOAD.rate,
    roundSec: HALF_LOAD.roundSec,
    rounds: HALF_LOAD.rounds,
  });
  await setDelay(emulatorUrl, 0);
  const added = (target: Target) => ({
    p50Ms: round(halfLoad[target].p50Ms - halfLoad.B1.p50Ms, 2),
    p99Ms: round(halfLoad[target].p99Ms - halfLoad.B1.p99Ms, 2),
  });
  const machine = `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${pinned ? 'pinned' : 'not pinned'}`;
  const rows = WORKLOADS.flatMap((workload) =>
    TARGETS.map((target) => {
      const f = figures[workload][target];
      return `| ${workload} | ${target} | ${f.rps} | ${f.vsB2}× | ${f.cpuMsPerOp ?? '–'} | ${f.failed} |`;
    }),
  );
  const md = [
    `# npm run bench:floor`,
    '',
    `${machine}; ${ROUNDS} interleaved rounds of ${SECONDS} s; clients and upstream delay by workload: W1 and W2 10 at 0 ms, W5 50 at 0 ms, W1far 200 at 100 ms; medians.`,
    '',
    '| workload | target | req/s | vs B2 | CPU-ms per op | failed |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Half load: W1 open loop at ${HALF_LOAD.rate}/s, upstream at ${HALF_LOAD.delayMs} ms, ${HALF_LOAD.rounds} interleaved rounds of ${HALF_LOAD.roundSec} s; latency added over B1 (the emulator straight: p50 ${halfLoad.B1.p50Ms} ms, p99 ${halfLoad.B1.p99Ms} ms).`,
    '',
    '| target | added p50 ms | added p99 ms | samples | failed |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...TARGETS.map(
      (t) =>
        `| ${t} | ${added(t).p50Ms} | ${added(t).p99Ms} | ${halfLoad[t].samples} | ${halfLoad[t].errors} |`,
    ),
    '',
  ].join('\n');
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'floor.json'),
    `${JSON.stringify({ machine, rounds: ROUNDS, seconds: SECONDS, figures, halfLoad: { ...HALF_LOAD, results: halfLoad } }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'floor.md'), md);
  console.log(md);
} finally {
  await Promise.all(started.map((service) => service.stop()));
}
