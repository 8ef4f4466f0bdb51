import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Hive from '@graphql-hive/gateway-runtime';
import type * as Composition from '@theguild/federation-composition';
import type * as GraphQL from 'graphql';

// The router's libraries are required as CommonJS, with graphql's CommonJS build beside them (the
// router never shares a schema object with the gateway, only HTTP): under node 20 a require does not
// pass through the test workers' module hooks, and Hive Gateway's large graph loads in 2.4 CPU-s
// instead of 5.6 (see test/support/register-ts.mjs).
const require = createRequire(import.meta.url);
const { createGatewayRuntime } = require('@graphql-hive/gateway-runtime') as typeof Hive;
const { composeServices, compositionHasErrors } =
  require('@theguild/federation-composition') as typeof Composition;
const { parse } = require('graphql') as typeof GraphQL;

type GatewayConfig = Parameters<typeof createGatewayRuntime>[0];

export interface Subgraph {
  name: string;
  /** The subgraph SDL with its federation directives (what `_service { sdl }` answers). */
  sdl: string;
  url: string;
}

export interface TestRouter {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  post(query: string, headers?: Record<string, string>): Promise<RouterResponse>;
  close(): Promise<void>;
}

export interface RouterResponse {
  data?: unknown;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * Composes the subgraphs into a supergraph (@theguild/federation-composition) and serves it with
 * Hive Gateway's engine (@graphql-hive/gateway-runtime) on loopback port 0.
 */
export async function startRouter(
  subgraphs: readonly Subgraph[],
  options: Pick<GatewayConfig, 'propagateHeaders'> = {},
): Promise<TestRouter> {
  const composed = composeServices(
    subgraphs.map(({ name, sdl, url }) => ({ name, typeDefs: parse(sdl), url })),
  );
  if (compositionHasErrors(composed)) {
    throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
  }
  const gateway = createGatewayRuntime({
    ...options,
    supergraph: composed.supergraphSdl,
    logging: false,
  });
  const server: Server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    async post(query, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headers,
        },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as RouterResponse;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
    },
  };
}
