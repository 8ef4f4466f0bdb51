import { readFileSync } from 'node:fs';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { startTestGateway, type ListeningTestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';
import {
  INCIDENTS_SDL,
  startIncidentsSubgraph,
  type Incident,
  type IncidentsSubgraph,
} from '../support/incidents-subgraph.js';
import { startRouter, type TestRouter } from '../support/router.js';
import { startLocalIssuer, type LocalIssuer } from '../support/auth.js';
import { totalCalls } from '../support/emulator.js';

// The supergraph as a platform team would run it: this gateway as the `users` subgraph, an
// `incidents` subgraph that holds user ids only, composed with a real composition library and
// served by Hive Gateway's engine, everything on loopback port 0: the router reaches its subgraphs
// over HTTP.

const UNKNOWN = 'idb-amp:00000000-dead-beef-0000-000000000000';
const SUBGRAPH_SDL = readFileSync(new URL('../../schema/subgraph.graphql', import.meta.url), 'utf8');

let gw: ListeningTestGateway;
let incidentsSubgraph: IncidentsSubgraph;
let router: TestRouter;
/** 99 users of org 1 in creation order, read straight from the emulator's REST API. */
let org1: Record<string, unknown>[];
let incidents: Incident[];

const idOf = (i: number) => String(org1[i]?.['user-id']);

beforeAll(async () => {
  gw = await startTestGateway({ listen: true });
  org1 = await restSearch(gw.emulator, 'client-demo-admin', { limit: 99 });
  expect(org1).toHaveLength(99);
  // 30 incidents: assignees are users 0-29 (but incident 7's assignee is unknown upstream);
  // watchers are users 30-98 plus repeats of the assignees: 99 known + 1 unknown = 100 distinct ids.
  incidents = Array.from({ length: 30 }, (_, i) => ({
    id: `inc-${i}`,
    title: `Incident ${i}`,
    assigneeId: i === 7 ? UNKNOWN : idOf(i),
    watcherIds: [idOf(30 + i), idOf(60 + i), idOf((i + 1) % 30), ...(i < 9 ? [idOf(90 + i)] : [])],
  }));
  incidentsSubgraph = await startIncidentsSubgraph(incidents);

  // The users subgraph's SDL as composition tools read it: `_service { sdl }` of the running server.
  const service = await gw.post('{ _service { sdl } }');
  const usersSdl = (service.data as { _service: { sdl: string } })._service.sdl;
  expect(usersSdl + '\n').toBe(SUBGRAPH_SDL);
  router = await startRouter([
    { name: 'users', sdl: usersSdl, url: gw.url },
    { name: 'incidents', sdl: INCIDENTS_SDL, url: incidentsSubgraph.url },
  ]);
});

afterAll(async () => {
  await router.close();
  await incidentsSubgraph.close();
  await gw.close();
});

beforeEach(() => gw.emulator.resetStats());

/** What the supergraph should answer for a user, from the emulator's REST view. */
function userOf(id: string, fields: readonly string[] = ['id', 'email', 'name', 'role']) {
  const rest = org1.find((u) => u['user-id'] === id);
  if (!rest) throw new Error(`not a known user: ${id}`);
  const all: Record<string, unknown> = {
    id,
    email: rest['user-email'] ?? null,
    name: rest['user-name'] ?? null,
    role: String(rest.role).toUpperCase(),
  };
  return Object.fromEntries(fields.map((f) => [f, all[f]]));
}

describe('the supergraph (users + incidents behind Hive Gateway)', () => {
  it('resolves 30 incidents with assignees and watchers (100 distinct users) in 1 batch call', async () => {
    const distinct = new Set(incidents.flatMap((i) => [i.assigneeId, ...i.watcherIds]));
    expect(distinct.size).toBe(100);

    const res = await router.post(
      '{ incidents { id title assignee { id email name role } watchers { id email name role } } }',
    );

    expect(res.data).toEqual({
      incidents: incidents.map((incident) => ({
        id: incident.id,
        title: incident.title,
        // `_entities` answers null for the unknown user; `role` is non-null, so the router nulls the
        // nearest nullable position: this one assignee, in place. The other 29 are untouched.
        assignee: incident.assigneeId === UNKNOWN ? null : userOf(incident.assigneeId),
        watchers: incident.watcherIds.map((id) => userOf(id)),
      })),
    });
    // Standard null propagation reports the one non-null field it could not fill.
    expect(res.errors?.map((e) => e.path)).toEqual([['incidents', 7, 'assignee', 'role']]);

    const stats = await gw.emulator.stats();
    expect(stats.calls.batchUsers).toBe(1);
    expect(stats.calls.getUser).toBe(0);
    expect(stats.batchSizes).toEqual([100]);
  });

  it('selecting only nullable user fields, the unknown user keeps its id and has nulls elsewhere', async () => {
    const res = await router.post('{ incidents { id assignee { id email } } }');
    expect(res.errors).toBeUndefined();
    const data = res.data as { incidents: { id: string; assignee: unknown }[] };
    expect(data.incidents[7]).toEqual({ id: 'inc-7', assignee: { id: UNKNOWN, email: null } });
    expect(data.incidents[6]).toEqual({ id: 'inc-6', assignee: userOf(idOf(6), ['id', 'email']) });
    // 29 known assignees + 1 unknown, one batch.
    expect((await gw.emulator.stats()).batchSizes).toEqual([30]);
  });
});

describe('the supergraph with caller authentication on the users subgraph (AUTH_MODE=jwt)', () => {
  let secured: ListeningTestGateway;
  let issuer: LocalIssuer;
  let securedRouter: TestRouter;

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    secured = await startTestGateway({
      listen: true,
      authenticate: () => createAuthenticator(issuer.jwtConfig(), { gatewayOrgId: async () => ORG_1_ID }),
    });
    // docs/federation.md's Hive Gateway header propagation: the caller's Authorization goes to `users` only.
    securedRouter = await startRouter(
      [
        { name: 'users', sdl: SUBGRAPH_SDL, url: secured.url },
        { name: 'incidents', sdl: INCIDENTS_SDL, url: incidentsSubgraph.url },
      ],
      {
        propagateHeaders: {
          fromClientToSubgraphs: ({ request, subgraphName }) =>
            subgraphName === 'users' ? { authorization: request.headers.get('authorization') } : {},
        },
      },
    );
  });
  afterAll(async () => {
    await securedRouter.close();
    await secured.close();
    await issuer.close();
  });
  beforeEach(() => secured.emulator.resetStats());

  it('passes the caller’s token from the router to this subgraph', async () => {
    const token = await issuer.sign({ scope: 'users:read' });
    const res = await securedRouter.post('{ incidents { id assignee { id email } } }', {
      authorization: `Bearer ${token}`,
    });
    expect(res).toEqual({
      data: {
        incidents: incidents.map((i) => ({
          id: i.id,
          assignee:
            i.assigneeId === UNKNOWN ? { id: UNKNOWN, email: null } : userOf(i.assigneeId, ['id', 'email']),
        })),
      },
    });
    expect((await secured.emulator.stats()).calls.batchUsers).toBe(1);
  });

  it('without a token the users subgraph refuses and nothing reaches the User API', async () => {
    const res = await securedRouter.post('{ incidents { id assignee { id email } } }');
    // The router reports the subgraph's 401 at each entity it could not resolve.
    expect(res.errors).toHaveLength(30);
    for (const error of res.errors ?? []) {
      expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED', serviceName: 'users' });
    }
    expect(totalCalls(await secured.emulator.stats())).toBe(0);
  });
});
