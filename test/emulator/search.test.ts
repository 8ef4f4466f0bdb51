import { ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { presentUser } from '../../src/emulator/model.js';
import type { StoredUser } from '../../src/emulator/model.js';
import { createSeedData } from '../../src/emulator/seed.js';
import { call } from '../support/rest.js';
import { startTestEmulator } from '../support/emulator.js';
import type { TestEmulator } from '../support/emulator.js';

const seed = createSeedData();
const org1 = seed.users.filter((u) => u['org-id'] === ORG_1_ID);

type SortBy = 'created-at' | 'user-email' | 'user-name' | 'last-logged-at' | 'role';
type Value = string | number | null;

/** The documented order, written out independently of the emulator's code. */
function sortKey(user: StoredUser, sortBy: SortBy): Value {
  switch (sortBy) {
    case 'created-at':
      return Date.parse(user['created-at']);
    case 'last-logged-at':
      return user['last-logged-at'].length === 0 ? null : Math.max(...user['last-logged-at'].map(Date.parse));
    case 'user-email':
      return (user['user-email'] ?? '').toLowerCase();
    case 'user-name':
      return (user['user-name'] ?? '').toLowerCase();
    case 'role':
      return user.role;
  }
}
function expectedOrder(users: StoredUser[], sortBy: SortBy, order: 'asc' | 'desc'): string[] {
  const cmp = (a: Value, b: Value) =>
    a === b
      ? 0
      : a === null
        ? -1
        : b === null
          ? 1
          : typeof a === 'number' && typeof b === 'number'
            ? a - b
            : a < b
              ? -1
              : 1;
  const sign = order === 'asc' ? 1 : -1;
  return [...users]
    .sort((a, b) => sign * (cmp(sortKey(a, sortBy), sortKey(b, sortBy)) || cmp(a['user-id'], b['user-id'])))
    .map((u) => u['user-id']);
}

interface SearchBody {
  data: Record<string, unknown>[];
  paging: {
    'total-hits': number;
    sort: Value[];
    next?: { limit: number; offset: number; search_after: Value[] };
  };
}

let emulator: TestEmulator;
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  token = await emulator.token('client-demo-readonly');
});
afterAll(() => emulator.close());

function search(filter: unknown, query: Record<string, string | number | Value[]> = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  return call(emulator.url, 'POST', `/iroh/user-mgmt/search/users?${params}`, {
    token,
    ...(filter === undefined ? {} : { json: filter }),
  });
}
async function searchOk(
  filter: unknown,
  query: Record<string, string | number | Value[]> = {},
): Promise<SearchBody> {
  const answer = await search(filter, query);
  expect(answer.status).toBe(200);
  return answer.body as SearchBody;
}
const ids = (body: SearchBody) => body.data.map((u) => String(u['user-id']));

describe('POST /iroh/user-mgmt/search/users', () => {
  it('defaults to 20 users by created-at ascending, with paging', async () => {
    const body = await searchOk(undefined);
    const order = expectedOrder(org1, 'created-at', 'asc');
    const first20 = order
      .slice(0, 20)
      .map((id) => presentUser(org1.find((u) => u['user-id'] === id) as StoredUser));
    const last = org1.find((u) => u['user-id'] === order[19]) as StoredUser;
    const lastSort = [Date.parse(last['created-at']), last['user-id']];
    expect(body).toEqual({
      data: first20,
      paging: { 'total-hits': 1002, sort: lastSort, next: { limit: 20, offset: 20, search_after: lastSort } },
    });
    expect(await searchOk({})).toEqual(body);
  });

  describe('filters', () => {
    const cases: [string, Record<string, unknown>, (u: StoredUser) => boolean][] = [
      ['role (string)', { role: 'sat' }, (u) => u.role === 'sat'],
      ['role (array)', { role: ['master', 'bare'] }, (u) => u.role === 'master' || u.role === 'bare'],
      ['enabled? false', { 'enabled?': false }, (u) => !u['enabled?']],
      ['enabled? true', { 'enabled?': true }, (u) => u['enabled?']],
      ['idp', { idp: 'okta' }, (u) => u['idp-mappings'].some((m) => m.idp === 'okta')],
      [
        'query',
        { query: 'NAKA' },
        (u) =>
          [u['user-email'], u['user-name'], u['user-nick']].some((f) => f?.toLowerCase().includes('naka')),
      ],
      [
        'several, ANDed',
        { role: ['user', 'admin'], 'enabled?': true, idp: 'azure-ad', query: 'ar' },
        (u) =>
          (u.role === 'user' || u.role === 'admin') &&
          u['enabled?'] &&
          u['idp-mappings'].some((m) => m.idp === 'azure-ad') &&
          [u['user-email'], u['user-name'], u['user-nick']].some((f) => f?.toLowerCase().includes('ar')),
      ],
    ];
    it.each(cases)('%s', async (_, filter, predicate) => {
      const expected = expectedOrder(org1.filter(predicate), 'created-at', 'asc');
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(org1.length);
      const body = await searchOk(filter, { limit: 1000 });
      expect(ids(body)).toEqual(expected);
      expect(body.paging['total-hits']).toBe(expected.length);
      expect(body.paging.next).toBeUndefined();
    });

    it('user-email: exact match, case-insensitive', async () => {
      const mixed = org1.find((u) => u['user-email'] && u['user-email'] !== u['user-email'].toLowerCase());
      if (!mixed?.['user-email']) throw new Error('the seed has no mixed-case email');
      const body = await searchOk({ 'user-email': mixed['user-email'].toLowerCase() });
      expect(body.data).toEqual([presentUser(mixed)]);
      const partial = await searchOk({ 'user-email': mixed['user-email'].slice(1) });
      expect(partial).toEqual({ data: [], paging: { 'total-hits': 0, sort: [] } });
    });
  });

  describe('sorting', () => {
    const fields: SortBy[] = ['created-at', 'user-email', 'user-name', 'last-logged-at', 'role'];
    it.each(fields.flatMap((f) => [[f, 'asc'] as const, [f, 'desc'] as const]))(
      'by %s %s',
      async (sortBy, order) => {
        const body = await searchOk({}, { sort_by: sortBy, sort_order: order, limit: 1000 });
        expect(ids(body)).toEqual(expectedOrder(org1, sortBy, order).slice(0, 1000));
        expect(body.paging.next).toEqual({
          limit: 1000,
          offset: 1000,
          search_after: body.paging.sort,
        });
      },
    );

    it('puts never-logged-in users first ascending and last descending', async () => {
      const asc = await searchOk({}, { sort_by: 'last-logged-at', limit: 3 });
      expect(asc.data.map((u) => u['last-logged-at'])).toEqual([[], [], []]);
      expect(asc.paging.sort[0]).toBeNull();
      const desc = await searchOk(
        {},
        { sort_by: 'last-logged-at', sort_order: 'desc', offset: 1000, limit: 2 },
      );
      expect(desc.data.map((u) => u['last-logged-at'])).toEqual([[], []]);
    });
  });

  describe('paging', () => {
    it('pages by offset', async () => {
      const all = expectedOrder(org1, 'user-name', 'asc');
      const page = await searchOk({}, { sort_by: 'user-name', offset: 40, limit: 25 });
      expect(ids(page)).toEqual(all.slice(40, 65));
      expect(page.paging.next).toEqual({ limit: 25, offset: 65, search_after: page.paging.sort });
      const last = await searchOk({}, { sort_by: 'user-name', offset: 990, limit: 25 });
      expect(ids(last)).toEqual(all.slice(990));
      expect(last.paging.next).toBeUndefined();
      expect(await searchOk({}, { offset: 5000 })).toEqual({
        data: [],
        paging: { 'total-hits': 1002, sort: [] },
      });
    });

    const everyone = () => true;
    it.each([
      ['created-at', 'asc', {}, everyone],
      ['last-logged-at', 'asc', {}, everyone],
      ['last-logged-at', 'desc', { 'enabled?': true }, (u: StoredUser) => u['enabled?']],
      ['user-name', 'desc', {}, everyone],
      ['role', 'asc', { idp: 'okta' }, (u: StoredUser) => u['idp-mappings'].some((m) => m.idp === 'okta')],
    ] as const)(
      'walks every %s %s match exactly once with search_after (filter %j)',
      async (sortBy, order, filter, predicate) => {
        const seen: string[] = [];
        let next: SearchBody['paging']['next'] = undefined;
        let pages = 0;
        do {
          const query: Record<string, string | number | Value[]> = {
            sort_by: sortBy,
            sort_order: order,
            limit: 97,
          };
          if (next) query.search_after = next.search_after;
          const body: SearchBody = await searchOk(filter, query);
          seen.push(...ids(body));
          next = body.paging.next;
          pages++;
        } while (next && pages < 50);
        const expected = expectedOrder(org1.filter(predicate), sortBy, order);
        expect(seen).toEqual(expected);
        expect(pages).toBe(Math.ceil(expected.length / 97));
      },
    );

    it('accepts the whole `next` object back (search_after wins over offset)', async () => {
      const first = await searchOk({}, { sort_by: 'user-email', limit: 10 });
      const next = first.paging.next;
      if (!next) throw new Error('expected a next page');
      const second = await searchOk({}, { sort_by: 'user-email', ...next });
      expect(ids(second)).toEqual(expectedOrder(org1, 'user-email', 'asc').slice(10, 20));
      expect(second.paging.next?.offset).toBe(20);
    });
  });

  describe('validation', () => {
    it('refuses unknown keys and wrong types, all at once', async () => {
      const answer = await search({
        role: 'root',
        'enabled?': 'yes',
        'user-email': 1,
        idp: ['okta'],
        query: null,
        name: 'x',
      });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: {
          errors: {
            role: 'invalid-value',
            'enabled?': 'invalid-value',
            'user-email': 'invalid-value',
            idp: 'invalid-value',
            query: 'invalid-value',
            name: 'disallowed-key',
          },
        },
      });
    });

    it.each([[[]], [['user', 'boss']], [[1]]])('refuses role %j', async (role) => {
      expect((await search({ role })).body).toEqual({ errors: { role: 'invalid-value' } });
    });

    it.each([
      ['limit', '0'],
      ['limit', '1001'],
      ['limit', '-1'],
      ['limit', '1.5'],
      ['limit', 'ten'],
      ['limit', ''],
      ['offset', '-1'],
      ['offset', 'x'],
      ['sort_by', 'user-id'],
      ['sort_by', 'created_at'],
      ['sort_order', 'ASC'],
      ['sort_order', 'up'],
    ])('refuses %s=%j', async (key, value) => {
      const answer = await search({}, { [key]: value });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: { errors: { [key]: 'invalid-value' } },
      });
    });

    it('accepts the limit bounds 1 and 1000', async () => {
      expect((await searchOk({}, { limit: 1 })).data).toHaveLength(1);
      expect((await searchOk({}, { limit: 1000 })).data).toHaveLength(1000);
    });

    it.each([
      [{ search_after: ['123'] }],
      [{ search_after: ['1', 'a', 'b'] }],
      [{ search_after: ['not-a-date', 'a'] }],
      [{ search_after: ['null', 'a'] }],
      [{ sort_by: 'role', search_after: ['boss', 'a'] }],
    ])('refuses search_after %j', async (query) => {
      expect((await search({}, query)).body).toEqual({ errors: { search_after: 'invalid-value' } });
    });

    it('refuses a body that is not an object', async () => {
      expect((await search(['role'])).body).toEqual({ errors: { body: 'invalid-value' } });
    });
  });
});
