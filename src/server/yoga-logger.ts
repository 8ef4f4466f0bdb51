import { GraphQLError } from 'graphql';
import { isUpstreamFailure } from '../errors.js';
import type { Logger } from '../logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Yoga's own log lines, through our pino logger. Yoga logs every masked error with its original
 * message, and a message can carry anything an exception was built from (URLs, bodies, tokens), so
 * errors are logged as name, GraphQL path and stack frames: enough to find the bug, no data. An
 * upstream failure is no bug: the masker answers it with its code, and the upstream layer has
 * reported it through its own events and logs, so Yoga's line for it is dropped.
 */
export function yogaLogger(logger: Logger): Record<Level, (...args: unknown[]) => void> {
  const log =
    (level: Level) =>
    (...args: unknown[]) => {
      // Yoga logs several debug lines per request: drop them before any work when they won't print.
      if (!logger.isLevelEnabled(level)) return;
      if (level === 'error' && args.some(isUpstreamFailure)) return;
      const errors = args.filter((a): a is Error => a instanceof Error).map(describe);
      const text = args
        .filter((a): a is string => typeof a === 'string')
        .map(scrub)
        .join(' ');
      logger[level](
        { event: 'graphql_server', ...(errors.length > 0 ? { errors } : {}) },
        text || 'GraphQL server',
      );
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function describe(error: Error): Record<string, unknown> {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  return {
    name: original.name,
    ...(error instanceof GraphQLError && error.path ? { path: error.path } : {}),
    // Only the "at …" lines: the first line of a stack repeats the message.
    frames: (original.stack ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('at '))
      .slice(0, 8),
  };
}

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
const BEARER = /(bearer|basic)\s+\S+/gi;

function scrub(text: string): string {
  return text.replace(JWT, '[redacted]').replace(BEARER, '$1 [redacted]');
}
