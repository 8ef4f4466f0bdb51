// npm run bench [-- --quick]: the gateway against two baselines on this machine, with the emulator
// answering at once and with 20 ms injected latency. No assertions: it measures and writes
// bench/results/latest.{json,md,svg}. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Options, type Request } from 'autocannon';
import { openLoop, type OpenLoopResult } from './open-loop.js';
import {
  FIELDS,
  USER,
  USERS,
  control,
  memoryOf,
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

const quick = process.argv.includes('--quick');
// --quick: 2 s per closed-loop run, so the half-load comparison below can have enough samples for a
// p99 (about 1,600 per target) within the 3 minutes.
const DURATION_SEC = quick ? 2 : 10;
/**
 * W1 against each target but B1, unmeasured, right before its own workloads, with the emulator at
 * 0 ms whatever the delay measured next. The gateway's code (Yoga, graphql-js, undici) reaches V8's
 * optimised tiers and its heap its working size only after some 10,000 operations: warmed for 1 s,
 * its W1 at 0 ms measured about half of what it serves 10 s later. A warm-up at 20 or 100 ms would
 * give it a few hundred: the half-load latencies and the 100 ms figure (bound by the CPU at 200
 * clients) then measured a process that had barely started. B1, the emulator, is warmed once, before
 * the first run (both runs share it). 4 s with --quick, for its 3 minutes.
 */
const WARMUP_SEC = quick ? 4 : 6;
/** Half load: every target in interleaved rounds of this length (see open-loop.ts). */
const HALF_LOAD_ROUNDS = 4;
/** Interleaved rounds per side of the compression figures (one with --quick, for its 3 minutes). */
const COMPRESSION_ROUNDS = quick ? 1 : 2;
const HALF_LOAD_ROUND_SEC = quick ? 2 : 5;
const DELAYS_MS = [0, 20];
/**
 * Cisco seen from another region: W1 uncached against an upstream 100 ms away, with enough clients
 * (FAR_CLIENTS) that the gateway's pool of upstream connections, not the CPU, is what could cap it.
 */
const FAR_DELAY_MS = 100;
const FAR_CLIENTS = 200;
const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5'] as const;
type Workload = (typeof WORKLOADS)[number];
type Target = 'gateway' | 'gatewayNoCache' | 'B1' | 'B2';

interface Stats {
  calls: Record<string, number>;
  batchSizes: number[];
}

const SEARCH = `query($q: String) { searchUsers(filter: { query: $q }, first: 50) { totalCount edges { node { ${FIELDS} } } } }`;
const UPDATE = `mutation($id: ID!, $nick: String) { updateUser(id: $id, input: { nick: $nick }) { ... on UpdateUserSuccess { user { ${FIELDS} } } } }`;
const LETTERS = 'aeinorst'.split('');

const window100 = (ids: string[]) => {
  const start = Math.floor(Math.random() * (ids.length - 100));
  return ids.slice(start, start + 100);
};

/** The autocannon options of one workload against one target. */
function workload(name: Workload, target: Target, base: string, ids: string[], token: string): Options {
  const connections = name === 'W5' ? 50 : 10;
  const hot = ids.slice(0, 100);
  /** One request per call, made afresh each time. */
  const one = (make: () => Request): Options => ({
    url: base,
    connections,
    requests: [{ setupRequest: (req) => ({ ...req, ...make() }) }],
  });
  if (target === 'gateway' || target === 'gatewayNoCache') {
    const gql = (query: string, variables: Record<string, unknown>): Request => ({
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    switch (name) {
      case 'W1':
        return one(() => gql(USER, { id: pick(ids) }));
      case 'W2':
        return one(() => gql(USERS, { ids: window100(ids) }));
      case 'W3':
        return {
          url: base,
          connections,
          requests: [
            {
              setupRequest: (req) => ({ ...req, ...gql(SEARCH, { q: pick(LETTERS) }) }),
              onResponse: (_status, body, context) => {
                const edges = (
                  JSON.parse(body) as { data?: { searchUsers?: { edges: { node: { id: string } }[] } } }
                ).data?.searchUsers?.edges;
                context.ids = edges?.map((e) => e.node.id) ?? [];
              },
            },
            { setupRequest: (req, context) => ({ ...req, ...gql(USERS, { ids: context.ids ?? [] }) }) },
          ],
        };
      case 'W4':
        return one(() =>
          Math.random() < 0.1
            ? gql(UPDATE, { id: pick(ids), nick: `n${Math.floor(Math.random() * 1e6)}` })
            : gql(USER, { id: pick(ids) }),
        );
      case 'W5':
        return one(() => gql(USERS, { ids: hot }));
    }
  }
  const auth = { authorization: `Bearer ${token}` };
  const batchPath = (list: string[]) =>
    `/iroh/user-mgmt/batch/users?${list.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`;
  const get = (path: string, headers: Record<string, string> = {}): Request => ({
    method: 'GET',
    path,
    headers,
  });
  if (target === 'B1') {
    switch (name) {
      case 'W1':
        return one(() => get(batchPath([pick(ids)]), auth));
      case 'W2':
        return one(() => get(batchPath(window100(ids)), auth));
      case 'W3':
        return {
          url: base,
          connections,
          requests: [
            {
              method: 'POST',
              path: '/iroh/user-mgmt/search/users?limit=50',
              headers: { ...auth, 'content-type': 'application/json' },
              setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: pick(LETTERS) }) }),
              onResponse: (_status, body, context) => {
                context.ids = ((JSON.parse(body) as { data?: Record<string, string>[] }).data ?? []).map(
                  (u) => u['user-id'],
                );
              },
            },
            {
              setupRequest: (req, context) => ({
                ...req,
                ...get(batchPath((context.ids as string[]) ?? []), auth),
              }),
            },
          ],
        };
      case 'W4':
        return one(() =>
          Math.random() < 0.1
            ? {
                method: 'POST',
                path: `/iroh/user-mgmt/users/${encodeURIComponent(pick(ids))}`,
                headers: { ...auth, 'content-type': 'application/json' },
                body: JSON.stringify({ 'user-nick': `n${Math.floor(Math.random() * 1e6)}` }),
              }
            : get(batchPath([pick(ids)]), auth),
        );
      case 'W5':
        return one(() => get(batchPath(hot), auth));
    }
  }
  const idsParam = (list: string[]) => list.map(encodeURIComponent).join(',');
  switch (name) {
    case 'W1':
      return one(() => get(`/user?id=${encodeURIComponent(pick(ids))}`));
    case 'W2':
      return one(() => get(`/users?ids=${idsParam(window100(ids))}`));
    case 'W3':
      return {
        url: base,
        connections,
        requests: [
          {
            setupRequest: (req) => ({ ...req, ...get(`/search?first=50&query=${pick(LETTERS)}`) }),
            onResponse: (_status, body, context) => {
              context.ids = (
                JSON.parse(body) as { data: { searchUsers: { nodes: { id: string }[] } } }
              ).data.searchUsers.nodes.map((n) => n.id);
            },
          },
          {
            setupRequest: (req, context) => ({
              ...req,
              ...get(`/users?ids=${idsParam((context.ids as string[]) ?? [])}`),
            }),
          },
        ],
      };
    case 'W4':
      return one(() =>
        Math.random() < 0.1
          ? {
              method: 'POST',
              path: `/update?id=${encodeURIComponent(pick(ids))}`,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ nick: `n${Math.floor(Math.random() * 1e6)}` }),
            }
          : get(`/user?id=${encodeURIComponent(pick(ids))}`),
      );
    case 'W5':
      return one(() => get(`/users?ids=${idsParam(hot)}`));
  }
}

/** `options` with `headers` added to every request it makes. */
function withHeaders(options: Options, headers: Record<string, string>): Options {
  return {
    ...options,
    requests: options.requests?.map((step) => ({
      ...step,
      setupRequest: (req, context) => {
        const made = step.setupRequest ? step.setupRequest(req, context) : req;
        return { ...made, headers: { ...made.headers, ...headers } };
      },
    })),
  };
}

interface Figures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  upstreamCallsPerOp: number;
  idsPerBatch: number | null;
  errors: number;
  rssMb?: number;
  peakRssMb?: number;
}

async function measure(emulatorUrl: string, options: Options, pid: number | undefined): Promise<Figures> {
  await control(emulatorUrl, 'POST', 'stats/reset');
  const result = await autocannon({ ...options, duration: DURATION_SEC });
  const stats = (await control(emulatorUrl, 'GET', 'stats')) as Stats;
  const calls = Object.entries(stats.calls)
    .filter(([route]) => route !== 'token')
    .reduce((sum, [, n]) => sum + n, 0);
  const ops = Math.max(1, result.requests.total);
  const batches = stats.batchSizes;
  return {
    // Answers with data: a refused request (503 OVERLOADED, a timeout) is an error, not throughput.
    rps: round((result.requests.average * result['2xx']) / Math.max(1, result.requests.total), 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    upstreamCallsPerOp: round(calls / ops, 3),
    idsPerBatch: batches.length ? round(batches.reduce((a, b) => a + b, 0) / batches.length) : null,
    errors: result.errors + result.timeouts + result.non2xx,
    ...(pid === undefined ? {} : memoryOf(pid)),
  };
}

type Run = Record<Target, Partial<Record<Workload, Figures>>>;

interface DelayRun {
  run: Run;
  /** Highest resident memory of either gateway process over the whole run at this delay. */
  peakRssMb: number;
  /** W1 at a fixed half load (open loop), per target. */
  halfLoad?: { rate: number; results: Record<Target, OpenLoopResult> };
  /** W1 at FAR_DELAY_MS (run after the 20 ms figures, by the same processes). */
  far?: FarFigures;
  /** The cached gateway's W1 and W2 with and without `accept-encoding: gzip, br`, interleaved. */
  compression?: Record<'W1' | 'W2', CompressionFigures>;
  /** The cached gateway's W1, W2 and W5 run a second time: its peak RSS before and after. */
  repeat?: {
    firstPassPeakRssMb: number;
    secondPassPeakRssMb: number;
    growthPct: number;
    second: Run['gateway'];
  };
}

async function runAt(emulator: Service, delayMs: number): Promise<DelayRun> {
  const services: Service[] = [];
  try {
    const token = await tokenOf(emulator.url);
    const ids = await userIdsOf(emulator.url, token);
    const gateway = await startGateway(emulator.url);
    const bare = await startGateway(emulator.url, { CACHE_ENABLED: 'false' });
    const b2 = await startService('b2-proxy.ts', [emulator.url]);
    services.push(gateway, bare, b2);
    const run: Run = { gateway: {}, gatewayNoCache: {}, B1: {}, B2: {} };
    const targets: [Target, string, number | undefined, readonly Workload[]][] = [
      ['B1', emulator.url, undefined, WORKLOADS],
      ['B2', b2.url, b2.pid, WORKLOADS],
      ['gatewayNoCache', bare.url, bare.pid, ['W1', 'W2', 'W5']],
      ['gateway', gateway.url, gateway.pid, WORKLOADS],
    ];
    const pass = async (
      target: Target,
      url: string,
      pid: number | undefined,
      workloads: readonly Workload[],
    ) => {
      const figures: Run['gateway'] = {};
      for (const name of workloads) {
        figures[name] = await measure(emulator.url, workload(name, target, url, ids, token), pid);
        console.log(`${delayMs} ms  ${target.padEnd(14)} ${name}  ${JSON.stringify(figures[name])}`);
      }
      return figures;
    };
    for (const [target, url, pid, workloads] of targets) {
      // Unmeasured, at 0 ms (see WARMUP_SEC): JIT, heap, connection pools and the token. Right before
      // the target's own workloads, so that the cached gateway's users are as fresh as they would be.
      if (target !== 'B1') {
        await setDelay(emulator.url, 0);
        await autocannon({ ...workload('W1', target, url, ids, token), duration: WARMUP_SEC });
      }
      await setDelay(emulator.url, delayMs);
      run[target] = await pass(target, url, pid, workloads);
    }
    const result: DelayRun = { run, peakRssMb: 0 };
    if (delayMs === 0) {
      const firstPassPeakRssMb = memoryOf(gateway.pid).peakRssMb;
      // The three heaviest on memory (W1's many ids, W2's and W5's 100-user answers), to fit --quick's 3 minutes.
      const second = await pass('gateway', gateway.url, gateway.pid, ['W1', 'W2', 'W5']);
      const secondPassPeakRssMb = memoryOf(gateway.pid).peakRssMb;
      const growthPct = round((100 * (secondPassPeakRssMb - firstPassPeakRssMb)) / firstPassPeakRssMb);
      result.repeat = { firstPassPeakRssMb, secondPassPeakRssMb, growthPct, second };
      console.log(`repeat: peak RSS ${firstPassPeakRssMb} MB → ${secondPassPeakRssMb} MB (${growthPct}%)`);
      result.compression = await compressionCost(emulator.url, gateway, ids, token);
    } else {
      // Half load: half of what B1 (the emulator straight) served with 10 connections.
      const rate = Math.max(10, Math.round((run.B1.W1?.rps ?? 200) / 2));
      const results = await openLoop({
        targets: targets.map(([target, url]) => {
          const setup = workload('W1', target, url, ids, token).requests?.[0]?.setupRequest;
          if (!setup) throw new Error(`W1 of ${target} has no request`);
          return { name: target, url: new URL(url).origin, request: () => setup({}, {}) };
        }),
        rate,
        roundSec: HALF_LOAD_ROUND_SEC,
        rounds: HALF_LOAD_ROUNDS,
      });
      for (const [target] of targets) {
        console.log(
          `${delayMs} ms  ${target.padEnd(14)} W1 at ${rate}/s  ${JSON.stringify(results[target])}`,
        );
      }
      result.halfLoad = { rate, results };
      // The same warm processes, with the upstream FAR_DELAY_MS away.
      await setDelay(emulator.url, FAR_DELAY_MS);
      result.far = await runFar(emulator.url, { gatewayNoCache: bare, B2: b2 }, ids, token);
    }
    result.peakRssMb = Math.max(memoryOf(gateway.pid).peakRssMb, memoryOf(bare.pid).peakRssMb);
    return result;
  } finally {
    for (const service of services.reverse()) await service.stop();
  }
}

type FarFigures = Partial<Record<'gatewayNoCache' | 'B2', Figures>>;

/**
 * W1 uncached and B2 with FAR_CLIENTS connections each, against the emulator already set to
 * FAR_DELAY_MS. 2 s unmeasured first: the pools open the connections that many clients need.
 */
async function runFar(
  emulatorUrl: string,
  services: Record<'gatewayNoCache' | 'B2', Service>,
  ids: string[],
  token: string,
): Promise<FarFigures> {
  const figures: FarFigures = {};
  for (const target of ['gatewayNoCache', 'B2'] as const) {
    const service = services[target];
    const options = { ...workload('W1', target, service.url, ids, token), connections: FAR_CLIENTS };
    await autocannon({ ...options, duration: 2 });
    figures[target] = await measure(emulatorUrl, options, service.pid);
    console.log(`${FAR_DELAY_MS} ms ${target.padEnd(14)} W1  ${JSON.stringify(figures[target])}`);
  }
  return figures;
}

interface CompressionFigures {
  identityRps: number;
  compressedRps: number;
  /** compressedRps / identityRps: below 1 is the cost of compressing. */
  ratio: number;
  identityBytes: number;
  compressedBytes: number;
}

/**
 * The cost of response compression on the cached gateway: W1 (one user, under the size threshold)
 * and W2 (100 users, compressed) with and without `accept-encoding: gzip, br`, in COMPRESSION_ROUNDS
 * interleaved rounds each (A, B, A, B), so that the machine's drift falls on both sides alike.
 */
async function compressionCost(emulatorUrl: string, gateway: Service, ids: string[], token: string) {
  const figures = {} as Record<'W1' | 'W2', CompressionFigures>;
  for (const name of ['W1', 'W2'] as const) {
    const plain = workload(name, 'gateway', gateway.url, ids, token);
    const sides = { identity: plain, compressed: withHeaders(plain, { 'accept-encoding': 'gzip, br' }) };
    const rps = { identity: [] as number[], compressed: [] as number[] };
    for (let i = 0; i < COMPRESSION_ROUNDS; i++) {
      for (const side of ['identity', 'compressed'] as const) {
        rps[side].push((await measure(emulatorUrl, sides[side], gateway.pid)).rps);
      }
    }
    const mean = (values: number[]) => round(values.reduce((a, b) => a + b, 0) / values.length, 0);
    const bytes = async (options: Options) =>
      (await autocannon({ ...options, amount: 20 })).throughput.total / 20;
    figures[name] = {
      identityRps: mean(rps.identity),
      compressedRps: mean(rps.compressed),
      ratio: round(mean(rps.compressed) / Math.max(1, mean(rps.identity)), 3),
      identityBytes: round(await bytes(sides.identity), 0),
      compressedBytes: round(await bytes(sides.compressed), 0),
    };
    console.log(`0 ms  gateway compression ${name}  ${JSON.stringify(figures[name])}`);
  }
  return figures;
}

const started = Date.now();
// The gateway runs as `npm start` runs it: compiled by build:emit, as `npm start` compiles (type errors
// are `npm run check`'s business; `npm run build`'s type check took 9 of --quick's 180 s).
execFileSync('npm', ['run', '--silent', 'build:emit'], { cwd: root, stdio: 'inherit' });
const runs: Record<number, Run> = {};
const delayRuns: Record<number, DelayRun> = {};
let peakRssMb = 0;
// One emulator for both delays, warmed once as B1 before anything is measured: every target, B1
// first, then meets an emulator as warm as the next one's.
const emulator = await startService('emulator-process.ts');
try {
  const token = await tokenOf(emulator.url);
  const ids = await userIdsOf(emulator.url, token);
  await autocannon({ ...workload('W1', 'B1', emulator.url, ids, token), duration: WARMUP_SEC });
  for (const delay of DELAYS_MS) {
    const delayRun = await runAt(emulator, delay);
    delayRuns[delay] = delayRun;
    runs[delay] = delayRun.run;
    peakRssMb = Math.max(peakRssMb, delayRun.peakRssMb);
  }
} finally {
  await emulator.stop();
}
const far: FarFigures = delayRuns[20]?.far ?? {};

const at0 = runs[0] as Run;
const at20 = runs[20] as Run;
const ratio = (a?: Figures, b?: Figures) => (a && b && b.rps > 0 ? round(a.rps / b.rps, 2) : null);
const latest = {
  node: process.version,
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', platform: process.platform },
  quick,
  durationSec: DURATION_SEC,
  date: new Date().toISOString(),
  workloads: at0.gateway,
  baselines: { B1: at0.B1, B2: at0.B2 },
  ratios: {
    W1_vs_B2: ratio(at0.gateway.W1, at0.B2.W1),
    W2_vs_B2: ratio(at0.gateway.W2, at0.B2.W2),
    W1_nocache_vs_B2: ratio(at0.gatewayNoCache.W1, at0.B2.W1),
    W2_nocache_vs_B2: ratio(at0.gatewayNoCache.W2, at0.B2.W2),
    W5_nocache_vs_B2: ratio(at0.gatewayNoCache.W5, at0.B2.W5),
    W1_nocache_100ms_vs_B2: ratio(far.gatewayNoCache, far.B2),
  },
  peakRssMb,
  gatewayNoCache: at0.gatewayNoCache,
  repeat: delayRuns[0]?.repeat,
  compression: delayRuns[0]?.compression,
  at20ms: {
    workloads: at20.gateway,
    gatewayNoCache: at20.gatewayNoCache,
    baselines: { B1: at20.B1, B2: at20.B2 },
    halfLoad: delayRuns[20]?.halfLoad,
    // The gateway's own cost over calling the User API directly, at half load (open loop, W1).
    addedOverB1: addedOverB1(delayRuns[20]?.halfLoad?.results),
  },
  at100ms: { clients: FAR_CLIENTS, gatewayNoCache: far.gatewayNoCache, B2: far.B2 },
  elapsedSec: round((Date.now() - started) / 1000, 0),
};

function addedOverB1(results?: Record<Target, OpenLoopResult>) {
  if (!results) return null;
  const over = (target: Target) => ({
    p50Ms: round(results[target].p50Ms - results.B1.p50Ms, 2),
    p99Ms: round(results[target].p99Ms - results.B1.p99Ms, 2),
  });
  return { gatewayNoCache: over('gatewayNoCache'), gateway: over('gateway'), B2: over('B2') };
}

const out = join(root, 'bench', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
writeFileSync(join(out, 'latest.md'), table());
writeFileSync(join(out, 'latest.svg'), chart());
console.log(`\n${table()}\nwrote bench/results/latest.{json,md,svg} in ${latest.elapsedSec} s`);

function table(): string {
  const rows = [
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${DURATION_SEC} s per run${quick ? ' (--quick)' : ''}; ` +
      `10 connections (W5: 50). Calls/op: upstream calls per HTTP request (token calls excluded).`,
    '',
    '| upstream delay | workload | target | req/s | p50 ms | p99 ms | upstream calls/op | ids/batch | RSS MB |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const delay of DELAYS_MS) {
    const run = runs[delay] as Run;
    for (const name of WORKLOADS) {
      for (const target of ['gateway', 'gatewayNoCache', 'B2', 'B1'] as const) {
        const f = run[target][name];
        if (!f) continue;
        rows.push(
          `| ${delay} ms | ${name} | ${target} | ${f.rps} | ${f.p50Ms} | ${f.p99Ms} | ${f.upstreamCallsPerOp} | ${f.idsPerBatch ?? '–'} | ${f.rssMb ?? '–'} |`,
        );
      }
    }
  }
  for (const target of ['gatewayNoCache', 'B2'] as const) {
    const f = far[target];
    if (f) {
      rows.push(
        `| ${FAR_DELAY_MS} ms (${FAR_CLIENTS} clients) | W1 | ${target} | ${f.rps} | ${f.p50Ms} | ${f.p99Ms} | ${f.upstreamCallsPerOp} | ${f.idsPerBatch ?? '–'} | ${f.rssMb ?? '–'} |`,
      );
    }
  }
  const half = delayRuns[20]?.halfLoad;
  if (half) {
    rows.push(
      '',
      `W1 at half load: ${half.rate} req/s (half of B1's W1 rate above), open loop, upstream delay 20 ms, ` +
        `${HALF_LOAD_ROUNDS} interleaved rounds of ${HALF_LOAD_ROUND_SEC} s per target; added = this target minus B1.`,
      '',
      '| target | achieved req/s | samples | p50 ms | p99 ms | added p50 ms | added p99 ms | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const target of ['gateway', 'gatewayNoCache', 'B2', 'B1'] as const) {
      const r = half.results[target];
      rows.push(
        `| ${target} | ${r.achievedRps} | ${r.samples} | ${r.p50Ms} | ${r.p99Ms} | ${round(r.p50Ms - half.results.B1.p50Ms, 2)} | ${round(r.p99Ms - half.results.B1.p99Ms, 2)} | ${r.errors} |`,
      );
    }
  }
  const repeat = delayRuns[0]?.repeat;
  rows.push(
    '',
    `Gateway peak RSS (both gateway processes, whole run): ${peakRssMb} MB. ` +
      (repeat
        ? `Cached gateway's peak RSS after its five 0 ms workloads: ${repeat.firstPassPeakRssMb} MB; after running W1, W2 and W5 again: ${repeat.secondPassPeakRssMb} MB (${repeat.growthPct}% growth). `
        : '') +
      `W1 vs B2: ${latest.ratios.W1_vs_B2}× (no cache: ${latest.ratios.W1_nocache_vs_B2}×; at ${FAR_DELAY_MS} ms: ${latest.ratios.W1_nocache_100ms_vs_B2}×). ` +
      `No cache vs B2 at 0 ms: W2 ${latest.ratios.W2_nocache_vs_B2}×, W5 ${latest.ratios.W5_nocache_vs_B2}×.`,
  );
  const compression = delayRuns[0]?.compression;
  if (compression) {
    rows.push(
      '',
      `Compression (cached gateway, 0 ms, ${COMPRESSION_ROUNDS} interleaved rounds; bytes: response size on the wire):`,
      '',
      '| workload | identity req/s | gzip, br req/s | ratio | identity bytes | compressed bytes |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...(['W1', 'W2'] as const).map((name) => {
        const c = compression[name];
        return `| ${name} | ${c.identityRps} | ${c.compressedRps} | ${c.ratio} | ${c.identityBytes} | ${c.compressedBytes} |`;
      }),
    );
  }
  return `${rows.join('\n')}\n`;
}

function chart(): string {
  const targets = [
    ['gateway', '#2b6cb0'],
    ['gatewayNoCache', '#90cdf4'],
    ['B2', '#dd6b20'],
    ['B1', '#718096'],
  ] as const;
  const width = 760;
  const height = 320;
  const left = 60;
  const bottom = 40;
  const plotH = height - bottom - 40;
  const max = Math.max(1, ...WORKLOADS.flatMap((w) => targets.map(([t]) => at0[t][w]?.rps ?? 0)));
  const groupW = (width - left - 20) / WORKLOADS.length;
  const barW = (groupW - 20) / targets.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">Requests per second, upstream at 0 ms (${process.version}, ${cpus().length} CPUs)</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = height - bottom - (plotH * i) / 4;
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${Math.round((max * i) / 4)}</text>`);
    parts.push(`<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#e2e8f0"/>`);
  }
  WORKLOADS.forEach((w, gi) => {
    const x0 = left + gi * groupW + 10;
    targets.forEach(([t, color], ti) => {
      const rps = at0[t][w]?.rps;
      if (rps === undefined) return;
      const h = (plotH * rps) / max;
      parts.push(
        `<rect x="${x0 + ti * barW}" y="${height - bottom - h}" width="${barW - 2}" height="${h}" fill="${color}"><title>${t} ${w}: ${rps} req/s</title></rect>`,
      );
    });
    parts.push(
      `<text x="${x0 + groupW / 2 - 10}" y="${height - bottom + 16}" text-anchor="middle">${w}</text>`,
    );
  });
  targets.forEach(([t, color], i) => {
    parts.push(`<rect x="${left + i * 150}" y="${height - 14}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${left + i * 150 + 14}" y="${height - 5}">${t}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
