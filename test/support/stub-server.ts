// A tiny HTTP server for shapes the emulator never produces (shuffled or duplicate batch rows,
// schema drift, odd content types). Each test sets `handle`.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface StubServer {
  url: string;
  /** Requests seen, as "METHOD /path?query". */
  requests: string[];
  /** Their bodies and headers, in the same order. */
  bodies: string[];
  headers: IncomingHttpHeaders[];
  handle: StubHandler;
  close(): Promise<void>;
}

export const STUB_TOKEN = 'stub-access-token-0123456789';

/** Answers the token route with STUB_TOKEN; everything else goes to `handle`. */
export async function startStubServer(handle: StubHandler = notFound): Promise<StubServer> {
  const stub: StubServer = {
    url: '',
    requests: [],
    bodies: [],
    headers: [],
    handle,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const url = new URL(`http://stub.invalid${req.url ?? '/'}`);
    stub.requests.push(`${req.method} ${url.pathname}${url.search}`);
    stub.headers.push(req.headers);
    const chunks: Buffer[] = [];
    // The whole request body is read before answering, as a real server would.
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      stub.bodies.push(Buffer.concat(chunks).toString('utf8'));
      if (url.pathname === '/iroh/oauth2/token') {
        json(res, 200, { access_token: STUB_TOKEN, token_type: 'bearer', expires_in: 600 });
        return;
      }
      void Promise.resolve(stub.handle(req, res, url)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return stub;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  json(res, 404, { error: 'not_found' });
}

/** A contract-complete wire user with the given id (and any overrides). */
export function wireUser(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'user-id': id,
    'org-id': 'org-1',
    role: 'user',
    scopes: ['users:read'],
    'enabled?': true,
    'created-at': '2024-01-02T03:04:05.000Z',
    ...overrides,
  };
}
