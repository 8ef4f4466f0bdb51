// The emulator's REST API straight, no gateway involved: what the emulator's own tests send, and what
// the gateway's tests read to know what the gateway should answer (counted in the emulator's stats:
// reset them afterwards).
import type { TestEmulator } from './emulator.js';

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

/** One request; the answer with its status, headers and parsed body, so tests assert it whole. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    body: isJson ? (JSON.parse(text) as unknown) : text,
  };
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

export function requestToken(
  baseUrl: string,
  clientId: string,
  secret: string,
  body = 'grant_type=client_credentials',
): Promise<Answer> {
  return call(baseUrl, 'POST', '/iroh/oauth2/token', {
    body,
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** The trace id the emulator puts in its error bodies. */
export const TRACE_ID = expect.stringMatching(/^[0-9a-f-]{36}$/);

/** One page of `POST /search/users` as `clientId` sees it. */
export async function restSearch(
  emulator: TestEmulator,
  clientId: string,
  query: { limit?: number; offset?: number; sort_by?: string } = {},
  filter: Record<string, unknown> = {},
): Promise<Record<string, unknown>[]> {
  const token = await emulator.token(clientId);
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const answer = await call(emulator.url, 'POST', `/iroh/user-mgmt/search/users?${params}`, {
    token,
    json: filter,
  });
  if (answer.status < 200 || answer.status > 299) throw new Error(`search failed: ${answer.status}`);
  return (answer.body as { data: Record<string, unknown>[] }).data;
}

/** The first `count` user ids of org 1 in creation order; the emulator's stats reset after. */
export async function org1Ids(emulator: TestEmulator, count: number): Promise<string[]> {
  const users = await restSearch(emulator, 'client-demo-admin', { limit: count });
  await emulator.resetStats();
  return users.map((u) => String(u['user-id']));
}
