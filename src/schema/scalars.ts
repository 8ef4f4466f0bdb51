import { Kind } from 'graphql';
import { badUserInput } from '../errors.js';
import { toUtcIso } from '../upstream/date-time.js';
import { builder } from './builder.js';

// Hand-written rather than graphql-scalars: one scalar, a dozen lines.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): string {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw badUserInput('DateTime must be an RFC 3339 date-time string');
  }
  return value;
}

builder.scalarType('DateTime', {
  description: 'An RFC 3339 date-time string in UTC, e.g. "2024-05-01T12:00:00.000Z".',
  // Upstream timestamps are normalised to UTC so clients can compare and sort them as strings.
  serialize: toUtcIso,
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
