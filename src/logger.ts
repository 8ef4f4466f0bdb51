import { pino, type Logger } from 'pino';

export type { Logger };

// The request id reaches the lines written far from the request (the upstream client) as data: the
// context's `calls` options carry it to every upstream call of the operation. Not an
// AsyncLocalStorage: on Node 20 and 22 one turns on a hook for every promise of the process, which
// cost 4-10% of the CPU of an uncached operation there (bench/README.md).

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

/** The process logger: JSON lines with secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
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
