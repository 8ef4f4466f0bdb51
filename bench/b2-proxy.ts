// Baseline B2: a bare node:http + undici proxy that makes exactly the upstream calls an ideal gateway
// would (one batch call per ≤100 ids, one search call, one change call; no cache) and the same JSON
// reshaping (kebab-case User → the camelCase fields the benchmark's GraphQL operations select).
// Routes: GET /user?id=, GET /users?ids=a,b, GET /search?query=&first=, POST /update?id= {"nick"}.
// Prints {"url": ...} on its first stdout line.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstreamUrl = process.argv[2];
if (!upstreamUrl) throw new Error('usage: b2-proxy.ts <emulator url>');
// As many upstream connections as the gateway's default (UPSTREAM_CONNECTIONS).
const pool = new Pool(upstreamUrl, { connections: 128 });

async function call(method: 'GET' | 'POST', path: string, body?: unknown, auth = `Bearer ${token}`) {
  const response = await pool.request({
    method,
    path,
    headers: {
      authorization: auth,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`upstream ${response.statusCode}`);
  return JSON.parse(text) as unknown;
}

let token = '';
{
  const basic = Buffer.from('client-demo-admin:demo-admin-secret').toString('base64');
  const response = await pool.request({
    method: 'POST',
    path: '/iroh/oauth2/token',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  token = ((await response.body.json()) as { access_token: string }).access_token;
}

type Rest = Record<string, unknown>;
const iso = (value: unknown) => (typeof value === 'string' ? new Date(value).toISOString() : null);
function reshape(u: Rest) {
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

async function batch(ids: string[]): Promise<(ReturnType<typeof reshape> | null)[]> {
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://b2.invalid');
  let data: unknown;
  switch (url.pathname) {
    case '/user':
      data = { user: (await batch([url.searchParams.get('id') ?? '']))[0] };
      break;
    case '/users':
      data = { users: await batch((url.searchParams.get('ids') ?? '').split(',')) };
      break;
    case '/search': {
      const first = Number(url.searchParams.get('first') ?? 20);
      const page = (await call('POST', `/iroh/user-mgmt/search/users?limit=${first}`, {
        query: url.searchParams.get('query') ?? '',
      })) as { data: Rest[]; paging: { 'total-hits': number } };
      data = { searchUsers: { totalCount: page.paging['total-hits'], nodes: page.data.map(reshape) } };
      break;
    }
    case '/update': {
      const { nick } = JSON.parse(await readBody(req)) as { nick: string };
      const id = encodeURIComponent(url.searchParams.get('id') ?? '');
      data = {
        updateUser: {
          user: reshape((await call('POST', `/iroh/user-mgmt/users/${id}`, { 'user-nick': nick })) as Rest),
        },
      };
      break;
    }
    default:
      res.writeHead(404).end();
      return;
  }
  const body = JSON.stringify({ data });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void pool.close().then(() => process.exit(0)));
});
