// Baseline B2: a bare node:http + undici proxy that makes exactly the upstream calls an ideal gateway
// would (one batch call per ≤100 ids, one search call, one change call; no cache) and the same JSON
// reshaping (kebab-case User → the camelCase fields the benchmark's GraphQL operations select).
// Routes: GET /user?id=, GET /users?ids=a,b, GET /search?query=&first=, POST /update?id= {"nick"}.
// Prints {"url": ...} on its first stdout line.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectUpstream, reshape } from './baseline-upstream.js';

type Rest = Record<string, unknown>;
const upstreamUrl = process.argv[2];
if (!upstreamUrl) throw new Error('usage: b2-proxy.ts <emulator url>');
const { call, batch, close } = await connectUpstream(upstreamUrl);

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
  server.close(() => void close().then(() => process.exit(0)));
});
