import { DEMO_CLIENTS } from './demo-clients.js';

export interface ApiClient {
  clientId: string;
  clientSecret: string;
  orgId: string;
  ownerUserId: string;
  scopes: string[];
}

export interface ClientRegistry {
  find(clientId: string): ApiClient | undefined;
  add(client: ApiClient): void;
}

/** The demo clients, plus any a test registers through the test controls (per emulator instance). */
export function createClientRegistry(): ClientRegistry {
  const clients = new Map<string, ApiClient>(
    DEMO_CLIENTS.map((c) => [
      c.clientId,
      {
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        orgId: c.orgId,
        ownerUserId: c.ownerUserId,
        scopes: [...c.scopes],
      },
    ]),
  );
  return {
    find: (clientId) => clients.get(clientId),
    add: (client) => void clients.set(client.clientId, client),
  };
}
