import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

/** An incident as another service would hold it: user ids only, never user data. */
export interface Incident {
  id: string;
  title: string;
  assigneeId: string;
  watcherIds: string[];
}

/**
 * A second subgraph for the supergraph test: incidents reference users by id, as entity
 * references that the router resolves through the gateway's `_entities`.
 */
export const INCIDENTS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Query {
    "Incidents, in id order."
    incidents: [Incident!]!
  }

  "An incident of the incidents service."
  type Incident {
    id: ID!
    title: String!
    "Null when the user no longer exists (or is invisible to the caller)."
    assignee: User
    watchers: [User!]!
  }

  "Resolved by the users subgraph (the XDR user gateway)."
  type User @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

export interface IncidentsSubgraph {
  url: string;
  close(): Promise<void>;
}

/** Serves `incidents` with graphql-yoga on loopback port 0. */
export async function startIncidentsSubgraph(incidents: readonly Incident[]): Promise<IncidentsSubgraph> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(INCIDENTS_SDL),
    resolvers: {
      Query: { incidents: () => incidents },
      Incident: {
        assignee: (incident: Incident) => ({ id: incident.assigneeId }),
        watchers: (incident: Incident) => incident.watcherIds.map((id) => ({ id })),
      },
    },
  });
  const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false });
  const server: Server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
