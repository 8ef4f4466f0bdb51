import { DEMO_CLIENTS } from '../../src/emulator/demo-clients.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/server.js';
import type { EmulatorStats, FaultSpec } from '../../src/emulator/test-controls.js';

export type { EmulatorStats, FaultSpec };

export interface TestEmulator extends RunningEmulator {
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
  injectFault(fault: FaultSpec): Promise<void>;
  clearFaults(): Promise<void>;
  resetRateLimit(): Promise<void>;
  /** Registers an extra API client (e.g. a `users` scope owned by a non-admin). */
  addClient(client: {
    clientId: string;
    clientSecret: string;
    ownerUserId: string;
    scopes: string[];
  }): Promise<void>;
  /** A fresh access token for a demo client (default client-demo-admin) or one added with addClient. */
  token(clientId?: string, clientSecret?: string): Promise<string>;
}

/** The suite's one signing key (see global-setup.ts); absent when a file runs outside jest's setup. */
export const SUITE_SIGNING_KEY: Pick<EmulatorOptions, 'signingKey'> =
  process.env['JEST_EMULATOR_SIGNING_KEY'] === undefined
    ? {}
    : { signingKey: process.env['JEST_EMULATOR_SIGNING_KEY'] };

/** An emulator on loopback port 0 with test controls on, driven over HTTP like any other client. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, ...SUITE_SIGNING_KEY, ...options, testControls: true });

  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${emulator.url}/__emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`emulator control ${method} ${path} failed: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  };

  return {
    ...emulator,
    stats: async () => (await control('GET', 'stats')) as EmulatorStats,
    resetStats: async () => void (await control('POST', 'stats/reset')),
    injectFault: async (fault) => void (await control('POST', 'faults', fault)),
    clearFaults: async () => void (await control('DELETE', 'faults')),
    resetRateLimit: async () => void (await control('POST', 'rate-limit/reset')),
    addClient: async (client) => void (await control('POST', 'clients', client)),
    async token(clientId = 'client-demo-admin', clientSecret?: string) {
      const secret = clientSecret ?? DEMO_CLIENTS.find((c) => c.clientId === clientId)?.clientSecret;
      if (secret === undefined) throw new Error(`no secret known for ${clientId}`);
      const response = await fetch(`${emulator.url}/iroh/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
      });
      if (!response.ok) throw new Error(`token for ${clientId} failed: ${response.status}`);
      return ((await response.json()) as { access_token: string }).access_token;
    },
  };
}

/** Every upstream request the emulator saw, token requests included. */
export function totalCalls(stats: { calls: Record<string, number> }): number {
  return Object.values(stats.calls).reduce((sum, n) => sum + n, 0);
}
