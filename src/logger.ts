import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

export type { Logger };

// The request id of the operation being served, for log lines written far from the request (the
// upstream client, the loaders) without threading it through every call. Holds no state of its own
// beyond what `runInRequestScope` puts there for the duration of one request.
const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `fn` (one HTTP request) so that every log line written inside carries `requestId`. */
export function runInRequestScope<T>(requestId: string, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}

/** The request id of the request being served, if any. */
function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/**
 * Paths pino blanks in every log line, wherever a caller puts them: credentials must never reach a
 * log even when an object is logged whole.
 */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'clientSecret',
  '*.clientSecret',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'secret',
  '*.secret',
  'headers.cookie',
  '*.headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture them. */
  destination?: pino.DestinationStream;
}

/** The process logger: JSON lines with secrets redacted, each tagged with the current request id. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      // Lines written while serving a request (upstream calls included) say which request.
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
    },
    options.destination,
  );
}

/**
 * The logger of `npm start`: JSON lines, or pino-pretty's human-readable ones when `pretty` (a
 * terminal in development). pino-pretty is a dev dependency, loaded only then: without it (an
 * image built with `npm ci --omit=dev`) the lines stay JSON.
 */
export async function createProcessLogger(options: { level: string; pretty: boolean }): Promise<Logger> {
  if (options.pretty) {
    try {
      const { default: pretty } = await import('pino-pretty');
      return createLogger({ level: options.level, destination: pretty({ colorize: true, sync: true }) });
    } catch {
      // Not installed: JSON it is.
    }
  }
  return createLogger({ level: options.level });
}
