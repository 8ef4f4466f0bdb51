// The gateway's HTTP server: Node's own timeouts and connection cap from ServerConfig, a socket idle
// timeout that spares requests in flight, and a bound on GraphQL requests executing at once.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerConfig } from '../config.js';
import { overloaded } from '../errors.js';
import { createSemaphore } from './semaphore.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

/** The paths bounded by MAX_CONCURRENT_OPERATIONS; probes and scrapes must answer under load. */
const GATED_PATH = '/graphql';

/**
 * Requests that may wait for a slot, per slot. Waiting costs little (no body is read yet: the socket
 * is paused once Node's request buffer is full), but an unbounded queue would let a flood of
 * requests hold sockets and memory for the whole queue timeout.
 */
const QUEUE_PER_SLOT = 4;

export const OVERLOADED_MESSAGE =
  'The gateway is at its limit of concurrent operations; retry after the time in Retry-After';

/**
 * A node:http server for `handler` that sheds hostile or stuck clients:
 * - headersTimeout / requestTimeout: a client that sends its headers or its whole request too slowly
 *   gets 408 and is disconnected (Node checks every `connectionsCheckingInterval`, set here to a
 *   fraction of the smaller timeout so that they fire promptly instead of up to 30 s late);
 * - keepAliveTimeout: an idle keep-alive connection between requests is closed;
 * - idleTimeoutMs: a socket with no traffic and no request in flight is destroyed, while one whose
 *   request waits for a slow upstream keeps its connection (the operation deadline bounds it);
 * - maxConnections: sockets past the cap are closed as soon as they are accepted;
 * - maxConcurrentOperations: at most that many /graphql requests run at once; others wait up to
 *   queueTimeoutMs in a bounded queue, then get 503 OVERLOADED with Retry-After.
 */
export function createHttpServer(handler: RequestHandler, settings: ServerConfig): Server {
  const inFlight = new WeakMap<Socket, number>();
  const gate = createOperationGate(settings);

  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkingInterval(settings),
    },
    (request, response) => {
      const socket = request.socket;
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      response.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
      if (isGated(request)) gate(response, () => handler(request, response));
      else handler(request, response);
    },
  );
  server.maxConnections = settings.maxConnections;
  // Node's server-wide socket timeout, with our own decision on expiry. Its default (no listener)
  // would destroy a socket even while its request waits on the upstream. Node also re-arms the
  // socket's timer for keep-alive (keepAliveTimeout) between requests, which lands here too.
  server.setTimeout(settings.idleTimeoutMs, (socket: Socket) => {
    if ((inFlight.get(socket) ?? 0) === 0) socket.destroy();
  });
  return server;
}

/**
 * Often enough that a request past headersTimeout or requestTimeout is dropped soon after it, rarely
 * enough to cost nothing: a quarter of the smaller timeout, between 50 ms and 1 s.
 */
function checkingInterval(settings: ServerConfig): number {
  const smaller = Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs);
  return Math.min(1_000, Math.max(50, Math.floor(smaller / 4)));
}

function isGated(request: IncomingMessage): boolean {
  const url = request.url ?? '/';
  const end = url.indexOf('?');
  return (end === -1 ? url : url.slice(0, end)) === GATED_PATH;
}

type Gate = (response: ServerResponse, run: () => unknown) => void;

/**
 * A count of requests, from their start to the end (or abort) of their response, over the server's
 * semaphore. No kept dependency bounds concurrency at the HTTP layer (graphql-armor bounds one
 * operation's shape, Yoga has no such option, and Node's maxConnections counts sockets, which
 * keep-alive clients hold idle).
 */
function createOperationGate(settings: ServerConfig): Gate {
  const requests = createSemaphore({
    capacity: settings.maxConcurrentOperations,
    maxQueued: settings.maxConcurrentOperations * QUEUE_PER_SLOT,
    timeoutMs: settings.queueTimeoutMs,
  });
  return (response, run) => {
    let settled = false;
    const onClose = () => cancel();
    const cancel = requests.enter(
      1,
      (release) => {
        settled = true;
        response.off('close', onClose);
        response.once('close', release);
        run();
      },
      () => {
        settled = true;
        response.off('close', onClose);
        refuse(response);
      },
    );
    // A client that leaves while waiting gives its place up.
    if (!settled) response.once('close', onClose);
  };
}

/** 503 OVERLOADED in the GraphQL response shape, before the body is read. */
function refuse(response: ServerResponse): void {
  if (response.headersSent || response.destroyed) return;
  // A GraphQLError serialises as the response shape does: { message, extensions }.
  const body = JSON.stringify({ errors: [overloaded(OVERLOADED_MESSAGE)] });
  response.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': '1',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(body);
}

/** Which settings name the address a server listens on, for the failure message. */
export interface ListenSettings {
  port: string;
  host: string;
}

/**
 * Listens on `port` and `host`; a failure (a busy port, no permission) rejects with a ListenError of
 * one line that names the settings to change, instead of an unhandled 'error' event and its stack.
 */
export function listen(
  server: Server,
  port: number,
  host: string,
  names: ListenSettings = { port: 'PORT', host: 'HOST' },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(new ListenError(listenFailure(port, host, error.code, names)));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The address could not be bound; the message is one line, fit to print as it is. */
export class ListenError extends Error {
  override name = 'ListenError';
}

/** One line naming the settings behind a failed listen and what to do about it. */
export function listenFailure(
  port: number,
  host: string,
  code: string | undefined,
  names: ListenSettings,
): string {
  const where = `${names.host}=${host} ${names.port}=${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `Cannot listen on ${where}: the port is already in use (EADDRINUSE); set ${names.port} to a free port or stop the process that holds it`;
    case 'EACCES':
      return `Cannot listen on ${where}: permission denied (EACCES); ports below 1024 need privileges, set ${names.port} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${where}: ${names.host} is not an address of this machine (EADDRNOTAVAIL)`;
    default:
      return `Cannot listen on ${where} (${code ?? 'unknown error'})`;
  }
}
