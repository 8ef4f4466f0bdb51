// Issue 15, deliverable 3: a fleet with real parts. Three gateway processes, started as `npm run
// start:prod` starts one (plain node, its flags, the compiled main), share one real redis-server and
// one emulator, and are spoken to over their sockets. It holds docs/caching.md's promises across
// processes: one quota for the org whichever replica reads (The fleet: counting), an update through
// one replica seen at once through the others (The cache: local tiers kept coherent), Redis killed and
// brought back mid-traffic (The fleet: Redis down), and a 429 learnt by one replica stopping the others
// (The fleet: 429s).
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { builtMain, startProdFlags } from '../support/built-gateway.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';
import { postAs, type GraphQLAnswer } from '../support/http.js';
import { call, org1Ids } from '../support/rest.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { isMissing } from '../support/system-tools.js';
import { sleep, until } from '../support/wait.js';

/** The org's whole quota: QUOTA_PER_HOUR of every replica, and the emulator's own limit per hour. */
const QUOTA = 300;
/** floor(QUOTA × QUOTA_GUARD_RATIO's default 0.95): the reads the fleet may make in the hour. */
const READ_LIMIT = 285;

const READ = 'query($id: ID!) { user(id: $id) { id } }';
const READ_NICK = 'query($id: ID!) { user(id: $id) { id nick } }';
const RENAME = `mutation($id: ID!, $nick: String) {
  updateUser(id: $id, input: { nick: $nick }) { __typename ... on UpdateUserSuccess { user { nick } } }
}`;

interface Replica {
  name: string;
  origin: string;
  child: ChildProcess;
  /** The `event` of each JSON log line, in order. */
  events: string[];
  output: () => string;
}

/** Every gateway process spawned, started or not: afterAll kills each. */
const children: ChildProcess[] = [];

/** Spawns one gateway as start:prod does; resolves once it prints its GraphQL URL. */
function spawnGateway(main: string, name: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [...startProdFlags(), main], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  let pending = '';
  const events: string[] = [];
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const event = (JSON.parse(line) as { event?: unknown }).event;
        if (typeof event === 'string') events.push(event);
      }
      const port = /GraphQL gateway: http:\/\/[^:]+:(\d+)\/graphql/.exec(output)?.[1];
      if (port) resolve({ name, origin: `http://127.0.0.1:${port}`, child, events, output: () => output });
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) =>
      reject(new Error(`gateway ${name} exited (${code ?? signal}):\n${output.slice(-2000)}`)),
    );
  });
}

const withRedis = isMissing('redis-server') ? describe.skip : describe;

withRedis('three gateway processes on one redis-server and one emulator', () => {
  let emulator: TestEmulator;
  let redis: TestRedis;
  let redisPort: number;
  /** The test's own view of Redis: FLUSHALL between scenarios, and the fleet's counts. */
  let inspect: Redis;
  let replicas: Replica[];
  let A: Replica;
  let B: Replica;
  let C: Replica;
  let orgId: string;
  let ids: string[];
  let nextId = 0;
  /** An org-1 user id no scenario has read yet: uncached on every replica. */
  const fresh = (): string => {
    const id = ids[nextId++];
    if (id === undefined) throw new Error('out of user ids');
    return id;
  };

  beforeAll(async () => {
    // The emulator's own limit is the org's quota too (a real 429 with a long Retry-After: scenario d).
    [emulator, redis] = await Promise.all([
      startTestEmulator({ rateLimit: { quota: QUOTA, windowMs: 3_600_000 } }),
      startRedis(),
    ]);
    redisPort = Number(new URL(redis.url).port);
    inspect = new Redis(redis.url);
    inspect.on('error', () => {}); // it reconnects by itself once Redis is back (scenario c)
    const env = {
      XDR_BASE_URL: emulator.url,
      XDR_CLIENT_ID: 'client-demo-admin',
      XDR_CLIENT_SECRET: 'demo-admin-secret',
      AUTH_MODE: 'none',
      AUTH_ALLOW_NONE: 'true',
      HOST: '127.0.0.1',
      PORT: '0',
      CACHE_ENABLED: 'true',
      REDIS_URL: redis.url,
      QUOTA_PER_HOUR: String(QUOTA),
      QUOTA_FALLBACK_REPLICAS: '3',
      // A minute: only the invalidation, never the local tier's expiry, can explain a fresh answer (b).
      CACHE_LOCAL_TTL_MS: '60000',
      LOG_LEVEL: 'info',
    };
    // Built once (three builds at once in one process would share a build directory).
    const main = await builtMain();
    replicas = await Promise.all(['A', 'B', 'C'].map((name) => spawnGateway(main, name, env)));
    [A, B, C] = replicas as [Replica, Replica, Replica];
    for (const replica of replicas)
      expect(replica.output()).toContain(`Cisco mode: upstream ${emulator.url}`);
    // With AUTH_MODE=none each replica learns its organisation (a whoami, not a read of the cache)
    // on first use: here, before the scenarios count calls. The org id names the fleet's keys.
    const orgs = await Promise.all(replicas.map((r) => gql(r, '{ me { organization { id } } }')));
    orgId = (orgs[0]?.body.data?.['me'] as { organization: { id: string } }).organization.id;
    for (const org of orgs) expect(org.body).toEqual({ data: { me: { organization: { id: orgId } } } });
    ids = await org1Ids(emulator, 600);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null
          ? undefined
          : new Promise((resolve) => {
              child.once('exit', resolve);
              child.kill('SIGKILL');
            }),
      ),
    );
    inspect?.disconnect();
    await redis?.kill();
    await emulator?.close();
  });

  // A clean start for every scenario: the fleet's counts, blocks and cached users out of Redis
  // (FLUSHALL: the replicas' local tiers keep what they read, which is why each scenario reads ids
  // no other read), the upstream's counters and its own rate limit at zero.
  beforeEach(async () => {
    await inspect.flushall();
    await Promise.all([emulator.resetStats(), emulator.resetRateLimit()]);
  });

  const gql = (replica: Replica, query: string, variables: Record<string, unknown> = {}) =>
    postAs(`${replica.origin}/graphql`, undefined, query, variables);
  const read = (replica: Replica, id: string) => gql(replica, READ, { id });
  const codeOf = (answer: GraphQLAnswer) => answer.body.errors?.[0]?.extensions?.['code'];
  /** The upstream calls by route, the token endpoint's left out, and the ids of each batch call. */
  const upstream = async () => {
    const { calls, batchSizes } = await emulator.stats();
    const { token: _token, ...routes } = calls;
    return { routes, batchSizes };
  };
  const none = { getUser: 0, batchUsers: 0, searchUsers: 0, changeUser: 0, whoami: 0 };
  /** The org's calls in the fleet's rolling hour, as Redis holds them. */
  const fleetCount = async () =>
    (await inspect.hvals(`xdr-gw:quota:${orgId}:calls`)).reduce((sum, n) => sum + Number(n), 0);
  const eventsOf = (replica: Replica, event: string) => replica.events.filter((e) => e === event).length;

  it('(a) reads spread over A, B and C stop at the one read limit of the org, then all three refuse', async () => {
    const answers: GraphQLAnswer[] = [];
    // Round-robin, one uncached id each, until a refusal (or past what any one quota could allow).
    while (answers.length <= QUOTA) {
      const id = fresh();
      const answer = await read(replicas[answers.length % 3] as Replica, id);
      answers.push(answer);
      if (codeOf(answer) !== undefined) break;
      expect(answer).toEqual({ status: 200, body: { data: { user: { id } } } });
    }
    // Exactly the read limit passed, fleet-wide, each one batch call of one id, and Redis counted each
    // (the whoamis of beforeAll are out of it: FLUSHALL).
    expect(answers).toHaveLength(READ_LIMIT + 1);
    expect(codeOf(answers[READ_LIMIT] as GraphQLAnswer)).toBe('RATE_LIMITED');
    expect(await upstream()).toEqual({
      routes: { ...none, batchUsers: READ_LIMIT },
      batchSizes: Array<number>(READ_LIMIT).fill(1),
    });
    expect(await fleetCount()).toBe(READ_LIMIT);
    // The next read through each replica is refused before any call, with when to try again.
    for (const replica of replicas) {
      const refused = await read(replica, fresh());
      expect(codeOf(refused)).toBe('RATE_LIMITED');
      expect(refused.body.errors?.[0]?.extensions?.['retryAfter']).toEqual(expect.any(Number));
      expect(refused.body.data).toEqual({ user: null });
    }
    // Cached users still serve: the first id, read upstream through A, through C (from Redis).
    const first = (answers[0]?.body.data?.['user'] as { id: string }).id;
    expect((await read(C, first)).body).toEqual({ data: { user: { id: first } } });
    expect((await upstream()).routes).toEqual({ ...none, batchUsers: READ_LIMIT });
  }, 60_000);

  it('(b) an update through A is seen at once through B and C, whose local tiers held the old user', async () => {
    const id = fresh();
    const nickThrough = async (replica: Replica) => {
      const answer = await gql(replica, READ_NICK, { id });
      expect(answer.body.errors).toBeUndefined();
      return (answer.body.data?.['user'] as { id: string; nick: string | null }).nick;
    };
    // Upstream once (A), then from Redis into B's and C's local tiers; then, with the user gone from
    // Redis, from those tiers alone (A's too), with no further call.
    const before = await nickThrough(A);
    expect([await nickThrough(B), await nickThrough(C)]).toEqual([before, before]);
    expect(await inspect.del(`xdr-gw:user:${orgId}:${id}`)).toBe(1);
    expect([await nickThrough(A), await nickThrough(B), await nickThrough(C)]).toEqual([
      before,
      before,
      before,
    ]);
    expect((await upstream()).routes).toEqual({ ...none, batchUsers: 1 });

    const nick = 'fleet-coherence';
    expect(before).not.toBe(nick);
    const changed = await gql(A, RENAME, { id, nick });
    expect(changed).toEqual({
      status: 200,
      body: { data: { updateUser: { __typename: 'UpdateUserSuccess', user: { nick } } } },
    });
    // At once, through both others together: the new user, which A stored in Redis before it answered
    // (B and C dropped their old copies when A published the change).
    expect(await Promise.all([nickThrough(B), nickThrough(C)])).toEqual([nick, nick]);
    expect((await upstream()).routes).toEqual({ ...none, batchUsers: 1, changeUser: 1 });
    expect(replicas.map((r) => eventsOf(r, 'cache_invalidation_unacknowledged'))).toEqual([0, 0, 0]);
  }, 30_000);

  it('(c) Redis killed mid-traffic and brought back: every read answered, one warning each, the fleet counted again', async () => {
    // Each replica's own uncached id of the previous round is this round's cached read through the
    // next replica: from Redis while it is up, and from the replica's own memory or upstream while not.
    const answers: { id: string; answer: GraphQLAnswer }[] = [];
    let previous: string[] = [];
    let running = true;
    let failure: unknown;
    const traffic = (async () => {
      while (running) {
        const round = replicas.map(() => fresh());
        const sent = replicas.flatMap((replica, i) => [
          { replica, id: round[i] as string },
          ...(previous.length ? [{ replica, id: previous[(i + 2) % 3] as string }] : []),
        ]);
        answers.push(
          ...(await Promise.all(
            sent.map(async ({ replica, id }) => ({ id, answer: await read(replica, id) })),
          )),
        );
        previous = round;
        await sleep(50); // pacing only: a few reads a round, so that the ids and the quota last
      }
    })().catch((error: unknown) => (failure = error));
    /** Until `condition` holds (or the traffic failed: then the assertions below say how). */
    const whileTraffic = (condition: () => boolean) => until(() => failure !== undefined || condition());
    const moreRounds = (n: number) => {
      const target = answers.length + 6 * n;
      return whileTraffic(() => answers.length >= target);
    };
    const logged = (event: string) => whileTraffic(() => replicas.every((r) => eventsOf(r, event) > 0));

    await moreRounds(3);
    const beforeKill = answers.length;
    await redis.kill();
    await logged('quota_redis_down');
    await logged('cache_redis_down');
    await moreRounds(3);
    const duringDown = answers.length;

    redis = await startRedis(redisPort);
    await logged('quota_redis_up');
    await logged('cache_redis_up');
    await moreRounds(1);
    running = false;
    await traffic;
    expect(failure).toBeUndefined();

    // Every answer data, each for the id asked (reads within the quota: nothing was refused).
    const wrong = answers.filter(
      ({ id, answer }) =>
        JSON.stringify(answer) !== JSON.stringify({ status: 200, body: { data: { user: { id } } } }),
    );
    expect(wrong).toEqual([]);
    expect(beforeKill).toBeGreaterThan(0);
    expect(duringDown).toBeGreaterThan(beforeKill);
    for (const replica of replicas) {
      const events = ['quota_redis_down', 'cache_redis_down', 'quota_redis_up', 'cache_redis_up'];
      expect(events.map((event) => eventsOf(replica, event))).toEqual([1, 1, 1, 1]);
    }

    // Back to the fleet's count in Redis: three more uncached reads, one per replica, are three more.
    const counted = await fleetCount();
    const calls = (await upstream()).routes.batchUsers;
    for (const replica of replicas) {
      const id = fresh();
      expect((await read(replica, id)).body).toEqual({ data: { user: { id } } });
    }
    expect(await fleetCount()).toBe(counted + 3);
    expect((await upstream()).routes.batchUsers).toBe(calls + 3);
  }, 60_000);

  it('(d) a 429 learnt by A stops B and C, with no call of theirs', async () => {
    // Another frontend of the org spends the upstream's whole hour (straight at the emulator). A real
    // 429, with the rest of the hour as its Retry-After: the emulator's injected 429 says
    // Retry-After: 1, which the client retries (UPSTREAM_MAX_RETRY_AFTER_SEC, 2) and which would block
    // the fleet for one second only, too short for an assertion that does not race the clock.
    const token = await emulator.token();
    for (let spent = 0; spent < QUOTA; spent += 30) {
      await Promise.all(
        Array.from({ length: 30 }, () => call(emulator.url, 'GET', '/iroh/profile/whoami', { token })),
      );
    }
    expect((await call(emulator.url, 'GET', '/iroh/profile/whoami', { token })).status).toBe(429);
    await emulator.resetStats();

    // A's read goes out and gets the upstream's 429 (Retry-After: the rest of the hour; too long to
    // retry), which A writes to Redis for the whole fleet.
    const refused = await read(A, fresh());
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.body.errors?.[0]?.extensions?.['retryAfter']).toBeGreaterThan(60);
    expect(await upstream()).toEqual({ routes: { ...none, batchUsers: 1 }, batchSizes: [1] });

    // The upstream would answer again now; B and C do not ask it.
    await emulator.resetRateLimit();
    const [throughB, throughC] = await Promise.all([read(B, fresh()), read(C, fresh())]);
    expect([codeOf(throughB), codeOf(throughC)]).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    expect(throughB.body.errors?.[0]?.extensions?.['retryAfter']).toBeGreaterThan(60);
    expect(throughC.body.errors?.[0]?.extensions?.['retryAfter']).toBeGreaterThan(60);
    expect(await upstream()).toEqual({ routes: { ...none, batchUsers: 1 }, batchSizes: [1] });
    expect(Number(await inspect.get(`xdr-gw:quota:${orgId}:blocked-until`))).toBeGreaterThan(Date.now());
  }, 30_000);
});
