import type { TestEmulator } from './emulator.js';

/**
 * Reads users straight from the emulator's REST API (no gateway involved), to know what the gateway
 * should answer. Counts in the emulator's stats: reset them afterwards.
 */
export async function restSearch(
  emulator: TestEmulator,
  clientId: string,
  query: { limit?: number; offset?: number; sort_by?: string } = {},
  filter: Record<string, unknown> = {},
): Promise<Record<string, unknown>[]> {
  const token = await emulator.token(clientId);
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const response = await fetch(`${emulator.url}/iroh/user-mgmt/search/users?${params}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(filter),
  });
  if (!response.ok) throw new Error(`search failed: ${response.status}`);
  const body = (await response.json()) as { data: Record<string, unknown>[] };
  return body.data;
}
