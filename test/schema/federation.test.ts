import { readFileSync } from 'node:fs';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { createApp } from '../../src/server/app.js';
import { createUserApiStack } from '../../src/gateway.js';
import { startLocalIssuer, type LocalIssuer } from '../support/auth.js';
import { totalCalls } from '../support/emulator.js';
import { fetchOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { GRAPHQL_RESPONSE, postJson, type GraphQLResponse } from '../support/http.js';
import { restSearch } from '../support/rest.js';

// The gateway as a Federation v2 subgraph, asked directly the way a router asks it.

const UNKNOWN = 'idb-amp:ffffffff-0000-0000-0000-000000000000';
/** Where a router would reach this subgraph; in-process, no socket answers there. */
const SUBGRAPH = 'http://subgraph.test/graphql';
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ... on User { id email } }
}`;

describe('the users subgraph', () => {
  let gw: TestGateway;
  /** 130 users of org 1 in creation order, read straight from the emulator's REST API. */
  let org1: Record<string, unknown>[];
  let org2Id: string;
  const idOf = (i: number) => String(org1[i]?.['user-id']);
  const emailOf = (i: number) => org1[i]?.['user-email'] ?? null;

  beforeAll(async () => {
    gw = await startTestGateway();
    org1 = await restSearch(gw.emulator, 'client-demo-admin', { limit: 130 });
    const [other] = await restSearch(gw.emulator, 'client-demo-org2', { limit: 1 });
    org2Id = String(other?.['user-id']);
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.resetStats());

  /** In-process, through the gateway's fetch, as a router's request. */
  const ask = (query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> =>
    gw.post(query, variables);

  it('serves `_service { sdl }` with @key(fields: "id") on User: the committed subgraph.graphql', async () => {
    const res = await ask('{ _service { sdl } }');
    const sdl = (res.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toContain('type User\n  @key(fields: "id")\n{');
    expect(sdl + '\n').toBe(readFileSync(new URL('../../schema/subgraph.graphql', import.meta.url), 'utf8'));
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  it('resolves N representations and aliased user fields of one request in ⌈distinct/100⌉ batch calls', async () => {
    // 140 representations: users 0-119, 18 repeats, one unknown id and one user of another org.
    const representationIds = [
      ...Array.from({ length: 120 }, (_, i) => idOf(i)),
      ...Array.from({ length: 18 }, (_, i) => idOf(i * 3)),
      UNKNOWN,
      org2Id,
    ];
    // 20 aliased user fields over users 110-129: 10 overlap the representations, 10 are new.
    const aliasIds = Array.from({ length: 20 }, (_, i) => 110 + i);
    const aliases = aliasIds.map((i) => `u${i}: user(id: "${idOf(i)}") { id email }`).join('\n');
    const distinct = new Set([...representationIds, ...aliasIds.map(idOf)]);
    expect(distinct.size).toBe(132);

    const res = await ask(
      `query($representations: [_Any!]!) {
        _entities(representations: $representations) { __typename ... on User { id email } }
        ${aliases}
      }`,
      { representations: representationIds.map((id) => ({ __typename: 'User', id })) },
    );

    expect(res.errors).toBeUndefined();
    const data = res.data as Record<string, unknown> & { _entities: unknown[] };
    // Same length and order as the representations; null in place of users that cannot be found.
    expect(data._entities).toEqual(
      representationIds.map((id) => {
        if (id === UNKNOWN || id === org2Id) return null;
        const i = org1.findIndex((u) => u['user-id'] === id);
        return { __typename: 'User', id, email: emailOf(i) };
      }),
    );
    for (const i of aliasIds) expect(data[`u${i}`]).toEqual({ id: idOf(i), email: emailOf(i) });

    const stats = await gw.emulator.stats();
    expect(stats.calls.getUser).toBe(0);
    expect(stats.calls.batchUsers).toBe(Math.ceil(distinct.size / 100));
    expect(stats.calls.batchUsers).toBe(2);
    expect(stats.batchSizes.reduce((a, b) => a + b, 0)).toBe(distinct.size);
  });

  it('answers an empty representation list with no upstream call', async () => {
    expect(await ask(ENTITIES, { representations: [] })).toEqual({ data: { _entities: [] } });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });

  // Finding 9: `_service { sdl }` handed the whole schema to any caller while introspection was off.
  describe('`_service { sdl }` follows the introspection setting', () => {
    const askClosed = async (security: { introspection: boolean; federationSdl?: boolean }) => {
      const app = createApp({
        apiFor: createUserApiStack({ service: gw.upstream.api }),
        graphiql: false,
        security,
      });
      const response = await postJson(
        SUBGRAPH,
        { query: '{ _service { sdl } }' },
        GRAPHQL_RESPONSE,
        fetchOf(app),
      );
      return { status: response.status, body: (await response.json()) as GraphQLResponse };
    };

    it('is refused like introspection when introspection is off', async () => {
      expect(await askClosed({ introspection: false })).toEqual({
        status: 400,
        body: {
          errors: [
            {
              message:
                'GraphQL introspection has been disabled, but the requested query contained the field "_service".',
              locations: [{ line: 1, column: 3 }],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            },
          ],
        },
      });
    });

    it('is refused through a fragment too', async () => {
      const app = createApp({
        apiFor: createUserApiStack({ service: gw.upstream.api }),
        graphiql: false,
        security: { introspection: false },
      });
      const response = await postJson(
        SUBGRAPH,
        { query: '{ ...Sdl } fragment Sdl on Query { s: _service { sdl } }' },
        GRAPHQL_RESPONSE,
        fetchOf(app),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as GraphQLResponse).data).toBeUndefined();
    });

    it('is served with introspection off when FEDERATION_SDL=true (security.federationSdl)', async () => {
      const { status, body } = await askClosed({ introspection: false, federationSdl: true });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect((body.data as { _service: { sdl: string } })._service.sdl).toContain('@key(fields: "id")');
    });
  });

  // Finding 9: one representation the subgraph cannot resolve failed the whole `_entities` field.
  it('fails only the slot of a representation it cannot resolve, with no lookup for it', async () => {
    const res = await ask(ENTITIES, {
      representations: [
        { __typename: 'User', id: idOf(0) },
        { __typename: 'Incident', id: 'inc-1' },
        { __typename: 'User' },
        { __typename: 'User', id: { nested: true } },
        'User',
        { __typename: 'Organization', id: org2Id },
        { __typename: 'User', id: idOf(1) },
      ],
    });
    const slotError = (index: number, message: string, argument: string) => ({
      message,
      locations: [{ line: 2, column: 3 }],
      path: ['_entities', index],
      extensions: { code: 'BAD_USER_INPUT', argument },
    });
    const typenameError = (index: number) =>
      slotError(
        index,
        `representations[${index}].__typename names no entity type of this subgraph`,
        `representations[${index}].__typename`,
      );
    // The key of a User representation is checked by its resolveReference (test/schema/input-checks.test.ts).
    const keyError = (index: number) =>
      slotError(
        index,
        `representations[${index}].id is not a valid user id: it is not a string`,
        `representations[${index}].id`,
      );
    expect(res.data).toEqual({
      _entities: [
        { __typename: 'User', id: idOf(0), email: emailOf(0) },
        null,
        null,
        null,
        null,
        null,
        { __typename: 'User', id: idOf(1), email: emailOf(1) },
      ],
    });
    const bySlot = [...(res.errors ?? [])].sort((a, b) => Number(a.path?.[1]) - Number(b.path?.[1]));
    expect(bySlot).toEqual([
      typenameError(1),
      keyError(2),
      keyError(3),
      slotError(4, 'representations[4] is not an object', 'representations[4]'),
      typenameError(5),
    ]);
    const stats = await gw.emulator.stats();
    expect(stats.calls.batchUsers).toBe(1);
    expect(stats.batchSizes).toEqual([2]);
  });
});

describe('the users subgraph with caller authentication (AUTH_MODE=jwt)', () => {
  let gw: TestGateway;
  let issuer: LocalIssuer;
  let userId: string;

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    gw = await startTestGateway({
      authenticate: () => createAuthenticator(issuer.jwtConfig(), { gatewayOrgId: async () => ORG_1_ID }),
    });
    const [first] = await restSearch(gw.emulator, 'client-demo-admin', { limit: 1 });
    userId = String(first?.['user-id']);
  });
  afterAll(async () => {
    await gw.close();
    await issuer.close();
  });
  beforeEach(() => gw.emulator.resetStats());

  const entities = async (scope: string) =>
    gw.post(
      ENTITIES,
      { representations: [{ __typename: 'User', id: userId }] },
      { authorization: `Bearer ${await issuer.sign({ scope })}` },
    );

  it('resolves entities for a caller with a read scope', async () => {
    const res = await entities('users:read');
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ _entities: [{ __typename: 'User', id: userId, email: expect.any(String) }] });
  });

  it('answers FORBIDDEN in place to a caller without one, before any upstream call', async () => {
    const res = await entities('profile:read');
    expect(res).toEqual({
      data: { _entities: [null] },
      errors: [
        {
          message: 'This operation needs one of the scopes: users:read, users, admin',
          locations: [{ line: 2, column: 3 }],
          path: ['_entities', 0],
          extensions: { code: 'FORBIDDEN', requiredScopes: ['users:read', 'users', 'admin'] },
        },
      ],
    });
    expect(totalCalls(await gw.emulator.stats())).toBe(0);
  });
});
