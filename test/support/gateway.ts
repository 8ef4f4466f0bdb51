import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app.js';
import { createGatewayClient, type GatewayClient } from '../../src/client/gateway-client.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { createUpstream, type Upstream } from '../../src/upstream/create-upstream.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';

export interface TestGateway {
  emulator: TestEmulator;
  upstream: Upstream;
  app: App;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** The typed client over real HTTP. */
  client: GatewayClient;
  /** Posts any document; resolves to the parsed JSON response, errors included. */
  post(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

export interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The emulator and the gateway on loopback port 0, wired like `npm start` in default mode. */
export async function startTestGateway(
  options: { emulator?: EmulatorOptions; clientId?: string; clientSecret?: string; maxUserIds?: number } = {},
): Promise<TestGateway> {
  const emulator = await startTestEmulator(options.emulator);
  const upstream = createUpstream({
    baseUrl: emulator.url,
    clientId: options.clientId ?? 'client-demo-admin',
    clientSecret: options.clientSecret ?? 'demo-admin-secret',
    timeoutMs: 5_000,
  });
  const app = createApp({ api: upstream.api, maxUserIds: options.maxUserIds ?? 500, graphiql: false });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    emulator,
    upstream,
    app,
    url,
    client: createGatewayClient(url),
    async post(query, variables) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
      await emulator.close();
    },
  };
}
