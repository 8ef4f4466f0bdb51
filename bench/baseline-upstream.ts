// What every hand-written baseline (B2, B3, B4) does upstream: a token, then exactly the calls an
// ideal gateway makes (one batch call per ≤100 distinct ids, one search call, one change call; no
// cache, no retries, no validation), and the same reshaping of the kebab-case User into the camelCase
// fields the benchmark's operations select.
import { Pool } from 'undici';

type Rest = Record<string, unknown>;
export type BaselineUser = ReturnType<typeof reshape>;

const iso = (value: unknown) => (typeof value === 'string' ? new Date(value).toISOString() : null);

export function reshape(u: Rest) {
  const logins = (u['last-logged-at'] as string[] | undefined) ?? [];
  return {
    id: u['user-id'],
    email: u['user-email'] ?? null,
    name: u['user-name'] ?? null,
    nick: u['user-nick'] ?? null,
    role: String(u.role).toUpperCase(),
    enabled: u['enabled?'],
    createdAt: iso(u['created-at']),
    lastLoginAt: logins.length
      ? iso(logins.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)))
      : null,
  };
}

export interface BaselineUpstream {
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
  /** The users of `ids`, in their order, null where unknown. */
  batch(ids: string[]): Promise<(BaselineUser | null)[]>;
  close(): Promise<void>;
}

/** Connects to the emulator as the demo admin client (as many connections as the gateway's default). */
export async function connectUpstream(upstreamUrl: string): Promise<BaselineUpstream> {
  const pool = new Pool(upstreamUrl, { connections: 128 });
  const basic = Buffer.from('client-demo-admin:demo-admin-secret').toString('base64');
  const tokenResponse = await pool.request({
    method: 'POST',
    path: '/iroh/oauth2/token',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const token = ((await tokenResponse.body.json()) as { access_token: string }).access_token;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await pool.request({
      method,
      path,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`upstream ${response.statusCode}`);
    return JSON.parse(text) as unknown;
  }

  async function batch(ids: string[]): Promise<(BaselineUser | null)[]> {
    const distinct = [...new Set(ids)];
    const chunks: string[][] = [];
    for (let i = 0; i < distinct.length; i += 100) chunks.push(distinct.slice(i, i + 100));
    const pages = await Promise.all(
      chunks.map((chunk) => {
        const query = new URLSearchParams();
        for (const id of chunk) query.append('id', id);
        return call('GET', `/iroh/user-mgmt/batch/users?${query}`) as Promise<Rest[]>;
      }),
    );
    const byId = new Map<unknown, Rest>();
    for (const page of pages) for (const u of page) byId.set(u['user-id'], u);
    return ids.map((id) => {
      const u = byId.get(id);
      return u ? reshape(u) : null;
    });
  }

  return { call, batch, close: () => pool.close() };
}
