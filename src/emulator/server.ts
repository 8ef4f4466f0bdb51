import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClientRegistry } from './clients.js';
import { createControlRoutes } from './control-routes.js';
import { ConnectionGone, HttpError, sendJson } from './http.js';
import { createRateLimiter } from './rate-limiter.js';
import { matchRoute } from './routes.js';
import type { RequestContext, Route } from './routes.js';
import { DEFAULT_SEED, createSeedData } from './seed.js';
import { createUserStore } from './store.js';
import { actOutFault, createTestControls } from './test-controls.js';
import { REGION_HOSTS, createTokenService } from './tokens.js';
import type { Region } from './tokens.js';
import { createUserApiRoutes } from './user-api.js';

export interface EmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 'us'. Tokens carry the region's host as issuer; a token of another region gets 401. */
  region?: Region;
  /** Default 600. */
  tokenLifetimeSec?: number;
  /** Per org, rolling window. Default 8000 calls per 3,600,000 ms. The token endpoint is not counted. */
  rateLimit?: { quota: number; windowMs: number };
  /** Mounts /__emulator/* (stats, faults, ...). Default false: those paths are 404 like any unknown one. */
  testControls?: boolean;
  /** PRNG seed of the generated users; the same seed gives byte-identical data. */
  seed?: number;
  /**
   * PKCS#8 PEM of the RSA key tokens are signed with. Default: a fresh 2048-bit key (about 0.2 s of
   * CPU), which is why the test suite makes one key for all its emulators. The key id stays per
   * emulator, so a token of another emulator is refused whatever key it was signed with.
   */
  signingKey?: string;
  /**
   * The emulator's clock in epoch milliseconds, for tokens (issued at, expiry), the rate limit's
   * window and change timestamps. Default Date.now; tests move it instead of waiting.
   */
  clock?: () => number;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:54321, no trailing slash. */
  url: string;
  port: number;
  /** Stops listening and destroys open sockets, keep-alive and hung requests included. */
  close(): Promise<void>;
}

function resolveOptions(options: EmulatorOptions) {
  const problems: string[] = [];
  const positiveInt = (value: number, name: string) => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a positive integer`);
  };
  const resolved = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    region: options.region ?? 'us',
    tokenLifetimeSec: options.tokenLifetimeSec ?? 600,
    rateLimit: options.rateLimit ?? { quota: 8000, windowMs: 3_600_000 },
    testControls: options.testControls ?? false,
    seed: options.seed ?? DEFAULT_SEED,
  };
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) {
    problems.push('port must be an integer from 0 to 65535');
  }
  if (!Object.hasOwn(REGION_HOSTS, resolved.region)) problems.push('region must be us, eu or apjc');
  positiveInt(resolved.tokenLifetimeSec, 'tokenLifetimeSec');
  positiveInt(resolved.rateLimit.quota, 'rateLimit.quota');
  positiveInt(resolved.rateLimit.windowMs, 'rateLimit.windowMs');
  if (!Number.isInteger(resolved.seed)) problems.push('seed must be an integer');
  if (problems.length > 0) throw new TypeError(`invalid emulator options: ${problems.join('; ')}`);
  return resolved;
}

/** Starts an emulator of the Cisco XDR User API (see upstream-contract.md) on its own HTTP server. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings = resolveOptions(options);
  const tokens = await createTokenService({
    region: settings.region,
    lifetimeSec: settings.tokenLifetimeSec,
    ...(options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const store = createUserStore(createSeedData(settings.seed));
  const limiter = createRateLimiter(settings.rateLimit);
  const clients = createClientRegistry();
  const controls = createTestControls();
  const closing = new AbortController();
  // Every request delayed by a fault listens for the close: hundreds at once under a benchmark, which
  // is no leak (each removes its listener when its delay ends).
  setMaxListeners(0, closing.signal);

  const routes: Route[] = [
    ...createUserApiRoutes({ store, tokens, limiter, clients, clock: options.clock ?? Date.now }),
    ...(settings.testControls ? createControlRoutes({ controls, limiter, clients, store }) : []),
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const traceId = randomUUID();
    res.setHeader('x-trace-id', traceId);
    try {
      const target = req.url ?? '';
      // Only origin-form targets; the fixed base keeps "//host/x" a path rather than a host.
      if (!target.startsWith('/')) {
        throw new HttpError(400, {
          error: 'invalid_request',
          error_description: 'malformed request target',
          trace_id: traceId,
        });
      }
      const url = new URL(`http://emulator.invalid${target}`);
      const method = req.method ?? 'GET';
      const match = matchRoute(routes, method, url.pathname);
      if (match.kind === 'none') {
        throw new HttpError(404, {
          error: 'not_found',
          error_description: `no route ${method} ${url.pathname}`,
          trace_id: traceId,
        });
      }
      if (match.kind === 'wrong-method') {
        throw new HttpError(
          405,
          {
            error: 'method_not_allowed',
            error_description: `${method} is not allowed here; use ${match.allow.join(' or ')}`,
            trace_id: traceId,
          },
          { allow: match.allow.join(', ') },
        );
      }
      const ctx: RequestContext = { req, res, url, traceId, signal: closing.signal };
      const { endpoint, params } = match;
      if (endpoint.name) {
        controls.record(endpoint.name, url);
        const fault = controls.takeFault(endpoint.name);
        if (fault) {
          const answered = await actOutFault(fault, { ...ctx, route: endpoint.name, quota: limiter.quota });
          if (answered) return;
        }
      }
      await endpoint.handle(ctx, params);
    } catch (error) {
      if (error instanceof ConnectionGone) return;
      if (error instanceof HttpError) {
        sendJson(res, error.status, error.body, error.headers);
        return;
      }
      sendJson(res, 500, {
        error: 'unknown-exception',
        error_description: 'the emulator failed to handle the request',
        trace_id: traceId,
      });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  // Requests node cannot even parse never reach handle(); answer them in JSON too, then hang up.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: 'invalid_request', error_description: 'malformed HTTP request' });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
