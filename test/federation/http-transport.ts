import type { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { buildHTTPExecutor, type FetchFn } from '@graphql-tools/executor-http';

type Transports = NonNullable<Parameters<typeof createGatewayRuntime>[0]['transports']>;
type Transport = Extract<Transports, Record<string, unknown>>[string];

/**
 * Hive Gateway's runtime loads the transport for `http` subgraphs from @graphql-mesh/transport-http,
 * which the `hive-gateway` CLI bundles but the runtime package does not depend on (and this project
 * does not install). This is that transport's core: a GraphQL-over-HTTP executor per subgraph,
 * built on the runtime's own dependency and using the gateway's fetch, so gateway plugins that hook
 * fetch (header propagation, for one) still apply.
 */
export const httpTransport: Transport = {
  getSubgraphExecutor: ({ transportEntry, fetch }) =>
    buildHTTPExecutor({
      endpoint: transportEntry.location,
      ...(fetch ? { fetch: fetch as unknown as FetchFn } : {}),
    }),
};
