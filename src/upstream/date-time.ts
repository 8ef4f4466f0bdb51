// The User API's date-times, recognised without a Date where they are already in canonical UTC (what
// the API sends): a Date per date-time was 7% of a 100-user answer's CPU (bench/README.md).

/**
 * Written as `toISOString` writes it, so it would come back unchanged. Days past the 28th are left
 * to the Date path, which rolls an impossible one (February 30th) over.
 */
const CANONICAL_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** A string `Date.parse` reads as a time: what the contract's date-time fields must be. */
export function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && (CANONICAL_UTC.test(value) || !Number.isNaN(Date.parse(value)));
}

/** `value` in UTC as `toISOString` writes it; a RangeError when it is no time at all. */
export function toUtcIso(value: unknown): string {
  if (typeof value === 'string' && CANONICAL_UTC.test(value)) return value;
  return new Date(value as string).toISOString();
}
