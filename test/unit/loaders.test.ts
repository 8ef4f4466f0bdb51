import { execute, parse } from 'graphql';
import { createContext, type GraphQLContext } from '../../src/schema/context.js';
import { getSchema } from '../../src/schema/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { clientOf } from '../support/client.js';

// Several documents executed with one context stand for the later steps of one request (what a
// federation gateway's follow-up fetches or nested resolvers see): the loader set is the request's.

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());
beforeEach(() => gw.emulator.resetStats());

function newRequestContext(): GraphQLContext {
  return createContext(gw.upstream.api, { maxUserIds: 500 }, new Request('http://gateway.test/graphql'));
}

async function run(context: GraphQLContext, document: string, variables?: Record<string, unknown>) {
  const result = await execute({
    schema: getSchema(),
    document: parse(document),
    contextValue: context,
    variableValues: variables,
  });
  expect(result.errors).toBeUndefined();
  return result.data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('per-request loaders', () => {
  it('users found by searchUsers cost nothing to look up again in the same request', async () => {
    const context = newRequestContext();
    const page = await run(context, '{ searchUsers(first: 30) { nodes { id name } } }');
    const ids = page.searchUsers.nodes.map((n: { id: string }) => n.id);
    const again = await run(context, 'query($ids: [ID!]!) { users(ids: $ids) { id name } }', { ids });
    expect(again.users).toEqual(page.searchUsers.nodes);
    expect((await gw.emulator.stats()).calls).toEqual(
      expect.objectContaining({ searchUsers: 1, batchUsers: 0 }),
    );
  });

  it('the viewer from me is primed', async () => {
    const context = newRequestContext();
    const me = await run(context, '{ me { user { id email } } }');
    const lookup = await run(context, 'query($id: ID!) { user(id: $id) { id email } }', {
      id: me.me.user.id,
    });
    expect(lookup.user).toEqual(me.me.user);
    expect((await gw.emulator.stats()).calls).toEqual(expect.objectContaining({ whoami: 1, batchUsers: 0 }));
  });

  it('after updateUser nothing in the request serves the old values, and the new ones cost nothing', async () => {
    const context = newRequestContext();
    const { searchUsers } = await run(
      context,
      '{ searchUsers(first: 1, filter: { roles: [USER] }) { nodes { id nick } } }',
    );
    const id = searchUsers.nodes[0].id as string;
    const before = await run(context, 'query($id: ID!) { user(id: $id) { nick } }', { id });
    const nick = `${before.user.nick ?? 'nick'}-changed`;
    await run(
      context,
      'mutation($id: ID!, $nick: String!) { updateUser(id: $id, input: { nick: $nick }) { __typename } }',
      {
        id,
        nick,
      },
    );
    const after = await run(context, 'query($id: ID!) { user(id: $id) { nick } }', { id });
    expect(after.user.nick).toBe(nick);
    expect((await gw.emulator.stats()).calls).toEqual(
      expect.objectContaining({ searchUsers: 1, changeUser: 1, batchUsers: 0, getUser: 0 }),
    );
  });

  it('a fresh request does not see another request’s loader', async () => {
    const { searchUsers } = await run(newRequestContext(), '{ searchUsers(first: 1) { nodes { id } } }');
    await run(newRequestContext(), 'query($id: ID!) { user(id: $id) { id } }', {
      id: searchUsers.nodes[0].id,
    });
    expect((await gw.emulator.stats()).calls.batchUsers).toBe(1);
  });
});

describe('me', () => {
  it('returns the credentials’ owner and organisation', async () => {
    const { me } = await clientOf(gw).me();
    expect(me.user).toEqual(expect.objectContaining({ role: 'ADMIN', scopes: expect.any(Array) }));
    expect(me.organization?.id).toBe((await clientOf(gw).getUser(me.user?.id ?? '')).user?.orgId);
  });
});

describe('upstream failures', () => {
  it.each([
    [{ status: 500 }, 'UPSTREAM_UNAVAILABLE'],
    [{ status: 503 }, 'UPSTREAM_UNAVAILABLE'],
    [{ mode: 'malformed' }, 'UPSTREAM_INVALID_RESPONSE'],
    [{ mode: 'html' }, 'UPSTREAM_INVALID_RESPONSE'],
    [{ mode: 'reset' }, 'UPSTREAM_UNAVAILABLE'],
  ] as const)('%j on the batch route becomes %s, without upstream details', async (fault, code) => {
    await gw.emulator.injectFault({ route: 'batchUsers', times: 1, ...fault });
    const res = await gw.post('{ user(id: "anyone") { id } }');
    expect(res.data).toEqual({ user: null });
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]?.extensions).toEqual({ code });
    expect(JSON.stringify(res)).not.toMatch(/127\.0\.0\.1|iroh|Bearer|trace_id|unknown-exception/);
    await gw.emulator.clearFaults();
  });

  it('a 429 becomes RATE_LIMITED with retryAfter', async () => {
    await gw.emulator.injectFault({ route: 'searchUsers', status: 429, times: 1 });
    const res = await gw.post('{ searchUsers { totalCount } }');
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    await gw.emulator.clearFaults();
  });
});
