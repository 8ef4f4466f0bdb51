import { createCachingUserApi } from '../../src/cache/caching-user-api.js';
import { createUserCache, type UserCache } from '../../src/cache/user-cache.js';
import { packBatches } from '../../src/upstream/batches.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createQuotaGuard } from '../../src/cache/quota-guard.js';
import { UpstreamRateLimitedError } from '../../src/upstream/errors.js';
import type { User } from '../../src/upstream/types.js';
import { fakeUser } from '../support/users.js';
import type { UserApi } from '../../src/upstream/user-api.js';

const user = fakeUser;

/** A User API of one org holding `ids`, recording each getUsers call; `hold` parks calls until released. */
function fakeApi(orgId: string, ids: string[]) {
  const users = new Map(ids.map((id) => [id, user(id, orgId)]));
  const calls: string[][] = [];
  let held: (() => void)[] | undefined;
  const api: UserApi = {
    async getUser() {
      throw new Error('not used');
    },
    async getUsers(asked) {
      calls.push([...asked]);
      // The answer is read when the call is made, like an upstream that answers from its state then.
      const answer = asked.map((id) => users.get(id) ?? null);
      if (held) await new Promise<void>((resolve) => held?.push(resolve));
      return answer;
    },
    async searchUsers() {
      calls.push(['search']);
      return { users: [...users.values()], totalHits: users.size };
    },
    async updateUser(id, changes) {
      const changed = { ...(users.get(id) as User), name: changes.name ?? 'unchanged' };
      users.set(id, changed);
      return changed;
    },
    async whoami() {
      return { user: user('owner', orgId), org: { id: orgId, additionalScopes: [] } };
    },
  };
  return {
    api,
    calls,
    hold: () => void (held = []),
    /** Resolves once `count` calls have gone out, i.e. the coalescing window has closed. */
    async untilCalled(count = 1) {
      while (calls.length < count) await new Promise((resolve) => setTimeout(resolve, 1));
    },
    release: () => {
      const parked = held ?? [];
      held = undefined;
      for (const resolve of parked) resolve();
    },
  };
}

let cache: UserCache;
beforeEach(() => {
  cache = createUserCache({ store: createMemoryStore({ ttlMs: 60_000, maxEntries: 100 }) });
});

describe('org isolation', () => {
  it('two orgs sharing one cache never see each other’s entries', async () => {
    const a = fakeApi('org-a', ['u1', 'u2']);
    const b = fakeApi('org-b', ['u3']);
    const apiA = createCachingUserApi(a.api, { cache, orgId: 'org-a' });
    const apiB = createCachingUserApi(b.api, { cache, orgId: 'org-b' });

    expect((await apiA.getUsers(['u1', 'u2'])).map((u) => u?.orgId)).toEqual(['org-a', 'org-a']);
    // u1 is cached for org-a only: org-b asks its own upstream, which does not know it.
    expect(await apiB.getUsers(['u1', 'u3'])).toEqual([null, user('u3', 'org-b')]);
    expect(b.calls).toEqual([['u1', 'u3']]);
    expect(await apiA.getUsers(['u1'])).toEqual([user('u1', 'org-a')]);
    expect(a.calls).toEqual([['u1', 'u2']]);
  });

  it('learns the org from whoami once when none is given', async () => {
    const a = fakeApi('org-a', ['u1']);
    let whoamiCalls = 0;
    const inner = a.api.whoami.bind(a.api);
    a.api.whoami = () => {
      whoamiCalls++;
      return inner();
    };
    const api = createCachingUserApi(a.api, { cache });
    await Promise.all([api.getUsers(['u1']), api.getUsers(['u1'])]);
    await api.getUsers(['u1']);
    expect(whoamiCalls).toBe(1);
    expect(await cache.store.getMany('org-a', ['u1'])).toEqual([user('u1', 'org-a')]);
  });
});

describe('coalescing and invalidation', () => {
  it('concurrent misses from separate callers become one call; a caller that leaves does not cancel it', async () => {
    const a = fakeApi('org-a', ['u1', 'u2', 'u3']);
    const first = createCachingUserApi(a.api, { cache, orgId: 'org-a' });
    const second = createCachingUserApi(a.api, { cache, orgId: 'org-a' });
    a.hold();
    const leaving = new AbortController();
    const p1 = first.getUsers(['u1', 'u2'], { signal: leaving.signal });
    const p2 = second.getUsers(['u2', 'u3']);
    await a.untilCalled();
    leaving.abort();
    a.release();
    await expect(p1).rejects.toThrow();
    expect((await p2).map((u) => u?.id)).toEqual(['u2', 'u3']);
    expect(a.calls).toEqual([['u1', 'u2', 'u3']]);
  });

  it('a read that was in flight during an update never puts the old version back in the cache', async () => {
    const a = fakeApi('org-a', ['u1']);
    const api = createCachingUserApi(a.api, { cache, orgId: 'org-a' });
    a.hold();
    const racing = api.getUsers(['u1']);
    await a.untilCalled();
    // The update lands while the read (which saw the old name) is still on its way back.
    const updated = await api.updateUser('u1', { name: 'new' });
    a.release();
    expect((await racing)[0]?.name).toBe('name of u1');
    expect(updated.name).toBe('new');
    expect((await api.getUsers(['u1']))[0]?.name).toBe('new');
    expect(a.calls).toEqual([['u1']]);
  });

  it('search hits are cached for later lookups', async () => {
    const a = fakeApi('org-a', ['u1', 'u2']);
    const api = createCachingUserApi(a.api, { cache, orgId: 'org-a' });
    await api.searchUsers({});
    expect((await api.getUsers(['u2', 'u1'])).map((u) => u?.id)).toEqual(['u2', 'u1']);
    expect(a.calls).toEqual([['search']]);
  });
});

describe('quota guard', () => {
  it('counts calls per org over a rolling hour and keeps the last share for writes', () => {
    let now = 0;
    const guard = createQuotaGuard({ quota: 10, guardRatio: 0.8, now: () => now });
    for (let i = 0; i < 8; i++) guard.spendRead('org-a', 'batchUsers', 1);
    expect(() => guard.spendRead('org-a', 'batchUsers', 1)).toThrow(UpstreamRateLimitedError);
    guard.spendRead('org-b', 'batchUsers', 1); // another org has its own budget
    guard.spendWrite('org-a', 'changeUser', 2);
    expect(() => guard.spendWrite('org-a', 'changeUser', 1)).toThrow(UpstreamRateLimitedError);
    expect(() => guard.spendRead('org-a', 'batchUsers', 1)).toThrow(
      expect.objectContaining({ retryAfterSec: 3600 }) as unknown as Error,
    );
    now += 3_600_000;
    expect(guard.used('org-a')).toBe(0);
    guard.spendRead('org-a', 'batchUsers', 8);
  });

  it('near the limit, misses fail fast with no call while cached users still serve', async () => {
    const a = fakeApi('org-a', ['u1', 'u2', 'u3']);
    const guarded = createUserCache({
      store: createMemoryStore({ ttlMs: 60_000, maxEntries: 100 }),
      guard: createQuotaGuard({ quota: 2, guardRatio: 1 }),
    });
    const api = createCachingUserApi(a.api, { cache: guarded, orgId: 'org-a' });
    await api.getUsers(['u1']);
    await api.getUsers(['u2']);
    await expect(api.getUsers(['u3'])).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    expect((await api.getUsers(['u2', 'u1'])).map((u) => u?.id)).toEqual(['u2', 'u1']);
    expect(a.calls).toEqual([['u1'], ['u2']]);
  });
});

// Finding 3 (the per-caller half) and finding 6: how the decorator charges callers' shares, and
// that no shared batch call grows past what a server accepts whatever one caller's ids are.
describe('caller shares', () => {
  /** Reads to 40; a caller to floor(40 × 0.25) = 10. */
  const shared = () =>
    createUserCache({
      store: createMemoryStore({ ttlMs: 60_000, maxEntries: 1_000 }),
      guard: createQuotaGuard({ quota: 40, guardRatio: 1, callerShare: 0.25 }),
      coalesceWindowMs: 5,
    });
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('charges each caller whose misses joined a coalesced batch; the org counts the one real call', async () => {
    const guarded = shared();
    const a = fakeApi('org-a', [...ids('u', 150), ...ids('v', 150)]);
    const api = createCachingUserApi(a.api, { cache: guarded, orgId: 'org-a' });
    await Promise.all([
      api.getUsers(ids('u', 150).slice(0, 30), { caller: 'sub:x' }),
      api.getUsers(ids('u', 150).slice(20, 50), { caller: 'sub:y' }),
      api.getUser('u149', { caller: 'sub:y' }),
    ]);
    expect(a.calls.map((c) => c.length)).toEqual([51]);
    expect(guarded.guard?.used('org-a')).toBe(1);
    expect(guarded.guard?.usedBy('org-a', 'sub:x')).toBe(1);
    expect(guarded.guard?.usedBy('org-a', 'sub:y')).toBe(2);
    // 150 misses of one caller are two calls' worth; hits cost nothing.
    await api.getUsers(ids('v', 150), { caller: 'sub:z' });
    expect(guarded.guard?.usedBy('org-a', 'sub:z')).toBe(2);
    await api.getUsers(ids('v', 150), { caller: 'sub:z' });
    expect(guarded.guard?.usedBy('org-a', 'sub:z')).toBe(2);
    expect(a.calls.map((c) => c.length)).toEqual([51, 100, 50]);
    // search and whoami cost the caller one each.
    await api.searchUsers({}, { caller: 'sub:z' });
    await api.whoami({ caller: 'sub:z' });
    expect(guarded.guard?.usedBy('org-a', 'sub:z')).toBe(4);
  });

  it('refuses a caller past its share before its misses join a batch; others are served', async () => {
    const guarded = shared();
    const a = fakeApi('org-a', ids('u', 20));
    const api = createCachingUserApi(a.api, { cache: guarded, orgId: 'org-a' });
    for (let i = 0; i < 10; i++) await api.getUsers([`u${i}`], { caller: 'sub:x' });
    await expect(api.getUsers(['u10'], { caller: 'sub:x' })).rejects.toMatchObject({
      name: 'CallerShareExceededError',
      retryAfterSec: 3600,
    });
    await expect(api.searchUsers({}, { caller: 'sub:x' })).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    // Its cached users still serve it.
    expect((await api.getUsers(['u3'], { caller: 'sub:x' }))[0]?.id).toBe('u3');
    expect((await api.getUsers(['u10', 'u11'], { caller: 'sub:y' })).map((u) => u?.id)).toEqual([
      'u10',
      'u11',
    ]);
    expect(a.calls.length).toBe(11);
    expect(guarded.guard?.used('org-a')).toBe(11);
    expect(guarded.guard?.usedBy('org-a', 'sub:x')).toBe(10);
  });

  it('refunds the callers of a shared batch the org’s guard refused before sending it', async () => {
    const guarded = createUserCache({
      store: createMemoryStore({ ttlMs: 60_000, maxEntries: 100 }),
      guard: createQuotaGuard({ quota: 1, guardRatio: 1, callerShare: 1 }),
    });
    const a = fakeApi('org-a', ['u1', 'u2']);
    const api = createCachingUserApi(a.api, { cache: guarded, orgId: 'org-a' });
    await api.getUsers(['u1']);
    await expect(api.getUsers(['u2'], { caller: 'sub:x' })).rejects.toBeInstanceOf(UpstreamRateLimitedError);
    expect(guarded.guard?.usedBy('org-a', 'sub:x')).toBe(0);
    expect(a.calls).toEqual([['u1']]);
  });

  it('splits a batch so that no call carries more than 6,000 bytes of ids, and charges for it', async () => {
    const guarded = shared();
    const long = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(253)}`);
    const short = Array.from(
      { length: 100 },
      (_, i) => `idb-amp:00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    );
    const a = fakeApi('org-a', [...long, ...short]);
    const api = createCachingUserApi(a.api, { cache: guarded, orgId: 'org-a' });
    const [longUsers, shortUsers] = await Promise.all([
      api.getUsers(long, { caller: 'sub:x' }),
      api.getUsers(short, { caller: 'sub:y' }),
    ]);
    expect(longUsers.map((u) => u?.id)).toEqual(long);
    expect(shortUsers.map((u) => u?.id)).toEqual(short);
    for (const call of a.calls) {
      expect(call.length).toBeLessThanOrEqual(100);
      expect(new URLSearchParams(call.map((id) => ['id', id])).toString().length).toBeLessThan(6_000);
    }
    expect(a.calls.flat().sort()).toEqual([...long, ...short].sort());
    // 50 ids of 256 characters take 3 calls of at most 22; 100 real ids fit one call.
    expect(guarded.guard?.usedBy('org-a', 'sub:x')).toBe(3);
    expect(guarded.guard?.usedBy('org-a', 'sub:y')).toBe(1);
    expect(packBatches(short)).toEqual([short]);
    expect(guarded.guard?.used('org-a')).toBe(a.calls.length);
  });
});
