// Issue 15, deliverable 1: with REDIS_URL the quota guard counts every replica's upstream calls per org
// in Redis (one Lua script per spend), so QUOTA_PER_HOUR is the org's whole quota, the caller share
// is fleet-wide, and a 429 learnt by one replica holds for all; while Redis is down each replica
// falls back to QUOTA_PER_HOUR / QUOTA_FALLBACK_REPLICAS. On a real redis-server.
import { createFleetQuota } from '../../src/cache/fleet-quota.js';
import { CallerShareExceededError, createQuotaGuard, type QuotaBudget } from '../../src/cache/quota-guard.js';
import { UpstreamRateLimitedError } from '../../src/upstream/errors.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { org1Ids } from '../support/rest.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { isMissing } from '../support/system-tools.js';
import { until } from '../support/wait.js';

const withRedis = isMissing('redis-server') ? describe.skip : describe;

withRedis('the fleet-wide quota on a real redis-server', () => {
  let redis: TestRedis;
  const budgets: QuotaBudget[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(budgets.map((budget) => budget.close()));
    await redis?.kill();
  });

  /** One replica's budget, connected: quota, ratio and share as given; its fallback at quota / replicas. */
  async function replica(options: {
    quota: number;
    ratio?: number;
    share?: number;
    fallbackReplicas?: number;
  }) {
    const logs: string[] = [];
    const ratio = options.ratio ?? 1;
    const budget = createFleetQuota({
      redisUrl: redis.url,
      quota: options.quota,
      guardRatio: ratio,
      ...(options.share === undefined ? {} : { callerShare: options.share }),
      fallback: createQuotaGuard({
        quota: Math.floor(options.quota / (options.fallbackReplicas ?? 1)),
        guardRatio: ratio,
        ...(options.share === undefined ? {} : { callerShare: options.share }),
      }),
      logger: {
        warn: (fields: { event: string }) => logs.push(fields.event),
        info: (fields: { event: string }) => logs.push(fields.event),
      },
    });
    budgets.push(budget);
    await budget.ready();
    return { budget, logs };
  }

  /** Whether one read of `calls` is spent (true) or refused (the error). */
  const read = (budget: QuotaBudget, org: string, calls = 1, caller?: string) =>
    budget.spendRead(org, 'batchUsers', calls, caller).then(
      () => true,
      (error: unknown) => error,
    );

  it('reads of all replicas count against one quota, atomically; writes keep the rest', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => replica({ quota: 100, ratio: 0.8 })));
    // 120 concurrent single-call reads over three replicas: exactly the 80 of the read limit pass.
    const outcomes = await Promise.all(
      Array.from({ length: 120 }, (_, i) => read([a, b, c][i % 3]!.budget, 'org-reads')),
    );
    expect(outcomes.filter((o) => o === true)).toHaveLength(80);
    const refused = outcomes.filter((o) => o !== true);
    expect(refused.every((e) => e instanceof UpstreamRateLimitedError)).toBe(true);
    expect((refused[0] as UpstreamRateLimitedError).retryAfterSec).toBeGreaterThanOrEqual(1);
    // Writes may use the whole quota: 20 more, then none, on any replica.
    for (let i = 0; i < 20; i++) await a!.budget.spendWrite('org-reads', 'changeUser', 1);
    await expect(b!.budget.spendWrite('org-reads', 'changeUser', 1)).rejects.toBeInstanceOf(
      UpstreamRateLimitedError,
    );
  });

  it("a caller's share is the fleet's: spent across replicas, refused on all, others still served", async () => {
    const a = await replica({ quota: 100, share: 0.1 });
    const b = await replica({ quota: 100, share: 0.1 });
    for (let i = 0; i < 6; i++) expect(await read(a.budget, 'org-share', 1, 'sub:c')).toBe(true);
    for (let i = 0; i < 4; i++) expect(await read(b.budget, 'org-share', 1, 'sub:c')).toBe(true);
    expect(await read(b.budget, 'org-share', 1, 'sub:c')).toBeInstanceOf(CallerShareExceededError);
    expect(await read(a.budget, 'org-share', 1, 'sub:c')).toBeInstanceOf(CallerShareExceededError);
    expect(await read(a.budget, 'org-share', 1, 'sub:d')).toBe(true);
    // A shared batch's charge is refunded when the batch is refused: the caller has room again.
    const refund = await b.budget.chargeCaller('org-share', 'sub:d', 'batchUsers', 9);
    expect(await read(a.budget, 'org-share', 1, 'sub:d')).toBeInstanceOf(CallerShareExceededError);
    refund();
    await until(async () => (await read(a.budget, 'org-share', 1, 'sub:d')) === true);
  });

  it("a 429 learnt by one replica stops the others; a lower announced limit is every replica's", async () => {
    const a = await replica({ quota: 100 });
    const b = await replica({ quota: 100 });
    a.budget.learn('org-429', new UpstreamRateLimitedError('batchUsers', 30));
    // A's own next spend runs after its learning on the same connection: then B sees the block too.
    expect(await read(a.budget, 'org-429')).toBeInstanceOf(UpstreamRateLimitedError);
    const refused = await read(b.budget, 'org-429');
    expect(refused).toBeInstanceOf(UpstreamRateLimitedError);
    expect((refused as UpstreamRateLimitedError).retryAfterSec).toBeGreaterThan(25);
    // A token 429 teaches nothing.
    b.budget.learn('org-token', new UpstreamRateLimitedError('token', 30));
    expect(await read(b.budget, 'org-token')).toBe(true);
    // An announced limit of 5 (with a Retry-After of 0: no block): 5 reads across both, then none.
    a.budget.learn('org-limit', new UpstreamRateLimitedError('batchUsers', 0, { orgLimit: 5 }));
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await read([a, b][i % 2]!.budget, 'org-limit'));
    expect(outcomes.slice(0, 5)).toEqual([true, true, true, true, true]);
    expect(outcomes[5]).toBeInstanceOf(UpstreamRateLimitedError);
  });

  it('Redis down: each replica falls back to quota / QUOTA_FALLBACK_REPLICAS, warns once, and returns', async () => {
    const port = Number(new URL(redis.url).port);
    const a = await replica({ quota: 30, fallbackReplicas: 3 });
    expect(await read(a.budget, 'org-down')).toBe(true);
    await redis.kill();
    // 30 / 3 = 10 calls of its own while Redis is away, then refused; one warning.
    const outcomes = [];
    for (let i = 0; i < 11; i++) outcomes.push(await read(a.budget, 'org-down'));
    expect(outcomes.slice(0, 10).every((o) => o === true)).toBe(true);
    expect(outcomes[10]).toBeInstanceOf(UpstreamRateLimitedError);
    expect(a.logs).toEqual(['quota_redis_down']);
    // Back: the fleet's count again (a fresh Redis: 30 to spend), and one info line.
    redis = await startRedis(port);
    await until(async () => (await read(a.budget, 'org-down')) === true);
    expect(a.logs).toEqual(['quota_redis_down', 'quota_redis_up']);
  });
});

withRedis('two gateways with REDIS_URL share the org quota', () => {
  let redis: TestRedis;
  let gwA: TestGateway;
  let gwB: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      CACHE_ENABLED: 'true',
      REDIS_URL: redis.url,
      QUOTA_PER_HOUR: '40',
      QUOTA_GUARD_RATIO: '0.5',
    };
    gwA = await startTestGateway({ env });
    gwB = await startTestGateway({ env, upstream: { baseUrl: gwA.emulator.url } });
  });
  afterAll(async () => {
    await Promise.all([gwA?.close(), gwB?.close()]);
    await redis?.kill();
  });

  it('reads spread over both stop at the one read limit (20), with RATE_LIMITED from both', async () => {
    const ids = await org1Ids(gwA.emulator, 30);
    await gwA.emulator.resetStats();
    const codes: unknown[] = [];
    for (const [i, id] of ids.entries()) {
      const answer = await (i % 2 ? gwB : gwA).post('query($id: ID!) { user(id: $id) { id } }', { id });
      codes.push(answer.errors?.[0]?.extensions?.['code'] ?? 'ok');
    }
    // The read limit is 40 × 0.5 = 20 batch calls for both gateways together. (The whoami each made
    // at start, to learn its organisation, is not a read of the cache: not counted.)
    expect((await gwA.emulator.stats()).calls.batchUsers).toBe(20);
    expect(codes.filter((code) => code === 'ok')).toHaveLength(20);
    expect(codes.slice(-2)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });
});
