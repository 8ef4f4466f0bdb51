import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';
import { clientOf } from '../support/client.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());
beforeEach(() => gw.emulator.resetStats());

describe('searchUsers', () => {
  it('maps filter and order to the upstream and answers a connection', async () => {
    const expected = await restSearch(
      gw.emulator,
      'client-demo-admin',
      { limit: 5, sort_by: 'user-email', sort_order: 'desc' } as never,
      { role: ['admin'], 'enabled?': true },
    );
    await gw.emulator.resetStats();
    const { searchUsers } = await clientOf(gw).searchUsers({
      filter: { roles: ['ADMIN'], enabled: true },
      orderBy: { field: 'EMAIL', direction: 'DESC' },
      first: 5,
    });
    expect(searchUsers.edges.map((e) => e.node.id)).toEqual(expected.map((u) => u['user-id']));
    expect(searchUsers.edges.every((e) => e.node.role === 'ADMIN' && e.node.enabled)).toBe(true);
    expect(searchUsers.pageInfo.hasPreviousPage).toBe(false);
    expect(searchUsers.pageInfo.endCursor).toBe(searchUsers.edges.at(-1)?.cursor);
    expect((await gw.emulator.stats()).calls.searchUsers).toBe(1);
  });

  it('walking pages with `after` yields every match exactly once, in order', async () => {
    for (const orderBy of [
      { field: 'CREATED_AT', direction: 'ASC' },
      { field: 'LAST_LOGIN', direction: 'DESC' },
      { field: 'NAME', direction: 'ASC' },
    ] as const) {
      const seen: string[] = [];
      let after: string | null | undefined;
      let total = -1;
      let pages = 0;
      do {
        const { searchUsers } = await clientOf(gw).searchUsers({
          filter: { enabled: false },
          orderBy,
          first: 7,
          ...(after ? { after } : {}),
        });
        total = searchUsers.totalCount;
        seen.push(...searchUsers.edges.map((e) => e.node.id));
        expect(searchUsers.pageInfo.hasPreviousPage).toBe(pages > 0);
        after = searchUsers.pageInfo.hasNextPage ? searchUsers.pageInfo.endCursor : null;
        pages++;
      } while (after && pages < 100);
      expect(total).toBeGreaterThan(7);
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(pages).toBe(Math.ceil(total / 7));
    }
  });

  it('totalCount counts every match, not the page', async () => {
    const { searchUsers } = await clientOf(gw).searchUsers({ first: 3 });
    expect(searchUsers.edges).toHaveLength(3);
    expect(searchUsers.totalCount).toBeGreaterThanOrEqual(1000);
    expect(searchUsers.pageInfo.hasNextPage).toBe(true);
  });

  it('nodes holds the same users as edges', async () => {
    const res = await gw.post('{ searchUsers(first: 4) { nodes { id } edges { node { id } } } }');
    const page = (res.data as { searchUsers: { nodes: { id: string }[]; edges: { node: { id: string } }[] } })
      .searchUsers;
    expect(page.nodes).toEqual(page.edges.map((e) => e.node));
  });

  it.each([
    ['a garbage cursor', { after: 'not-a-cursor!' }, '`after` is not a cursor of searchUsers'],
    [
      'a forged cursor',
      { after: Buffer.from('{"v":1,"q":1,"o":-4}').toString('base64url') },
      '`after` is not a cursor of searchUsers',
    ],
    ['first: 0', { first: 0 }, 'first must be between 1 and 100, got 0'],
    ['first: 101', { first: 101 }, 'first must be between 1 and 100, got 101'],
    [
      'an empty roles list',
      { filter: { roles: [] } },
      'filter.roles must not be empty; omit it to match every role',
    ],
  ])('%s is BAD_USER_INPUT with no upstream call', async (_name, variables, message) => {
    const res = await gw.post(
      'query($filter: UserFilter, $first: Int, $after: String) { searchUsers(filter: $filter, first: $first, after: $after) { totalCount } }',
      variables,
    );
    expect(res.data).toBeNull();
    expect(res.errors).toEqual([
      expect.objectContaining({ message, extensions: { code: 'BAD_USER_INPUT' } }),
    ]);
    expect((await gw.emulator.stats()).calls.searchUsers).toBe(0);
  });

  it('a cursor of another search (other filter or order) is BAD_USER_INPUT', async () => {
    const { searchUsers } = await clientOf(gw).searchUsers({ first: 2, filter: { enabled: true } });
    const cursor = searchUsers.pageInfo.endCursor as string;
    await gw.emulator.resetStats();
    const res = await gw.post(
      'query($after: String) { searchUsers(first: 2, after: $after) { totalCount } }',
      {
        after: cursor,
      },
    );
    expect(res.errors?.[0]).toEqual(
      expect.objectContaining({
        message: '`after` belongs to a search with another filter or order',
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    );
    expect((await gw.emulator.stats()).calls.searchUsers).toBe(0);
  });

  it('filters by email, idp and query', async () => {
    const [someone] = await restSearch(gw.emulator, 'client-demo-admin', { limit: 1, offset: 17 });
    const email = String(someone?.['user-email']);
    const { searchUsers } = await clientOf(gw).searchUsers({ filter: { email: email.toUpperCase() } });
    expect(searchUsers.edges.map((e) => e.node.id)).toEqual([someone?.['user-id']]);

    const idp = String((someone?.['idp-mappings'] as { idp: string }[] | undefined)?.[0]?.idp ?? 'okta');
    const byIdp = await clientOf(gw).searchUsers({ filter: { idp }, first: 100 });
    expect(byIdp.searchUsers.totalCount).toBeGreaterThan(0);

    const byQuery = await clientOf(gw).searchUsers({ filter: { query: email.slice(0, 6) }, first: 100 });
    expect(byQuery.searchUsers.edges.some((e) => e.node.id === someone?.['user-id'])).toBe(true);
  });
});
