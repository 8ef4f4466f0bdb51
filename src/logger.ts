import { pino, type Logger } from 'pino';

export type { Logger };

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
