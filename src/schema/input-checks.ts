// Checks on client input that reaches the upstream, made before it is shared: a by-id lookup joins a
// batch other requests' ids travel in (the cross-request cache coalesces them), so one caller's
// malformed id must be refused on its own rather than fail a call that carries everyone's.
import { badUserInput } from '../errors.js';

/** Real ids are `idb-amp:<uuid>` or a bare UUID (44 characters at most); this leaves ample room. */
export const MAX_ID_LENGTH = 256;
/** Cursors this gateway makes are under 300 characters. */
export const MAX_CURSOR_LENGTH = 1_024;
/** The upstream's search_after has one sort value and the id tie-breaker. */
export const MAX_SORT_VALUES = 4;
export const MAX_SORT_VALUE_LENGTH = 512;
/** filter.email, filter.idp and filter.query. */
export const MAX_FILTER_STRING_LENGTH = 256;

// C0 controls, DEL and C1 controls; then what changes the meaning of a URL path or query.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_IN_ID = /[\u0000-\u001f\u007f-\u009f/\\?#%]/;
// A surrogate half without its other half: not text, and encoded as U+FFFD it would name another id.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `id` cannot be a user id, or undefined when it can be one. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'it is empty';
  if (id.length > MAX_ID_LENGTH) return `it is longer than ${MAX_ID_LENGTH} characters`;
  if (id === '.' || id === '..') return `it is "${id}"`;
  if (FORBIDDEN_IN_ID.test(id)) return 'it contains a control character or one of / \\ ? # %';
  if (LONE_SURROGATE.test(id)) return 'it is not valid Unicode';
  return undefined;
}

/** Whether `id` could be a user id (e.g. before looking up a token's subject as one). */
export const isValidUserId = (id: string): boolean => idProblem(id) === undefined;

/** The message for a bad id; never the id itself, which may be 20,000 characters of anything. */
export const idMessage = (argument: string, problem: string) =>
  `${argument} is not a valid user id: ${problem}`;

/** Throws BAD_USER_INPUT naming `argument` (e.g. "id", "ids[3]") unless `id` can be a user id. */
export function checkId(id: string, argument: string): string {
  const problem = idProblem(id);
  if (problem !== undefined) throw badUserInput(idMessage(argument, problem), { argument });
  return id;
}

/** Checks every id of a list argument; the error names the first bad one, e.g. "ids[3]". */
export function checkIds(ids: readonly string[], argument: string): void {
  ids.forEach((id, i) => checkId(id, `${argument}[${i}]`));
}

/** Throws BAD_USER_INPUT unless the string argument is at most `max` characters long. */
export function checkLength(value: string | null | undefined, argument: string, max: number): void {
  if (value != null && value.length > max) {
    throw badUserInput(`${argument} must be at most ${max} characters, got ${value.length}`, { argument });
  }
}

/**
 * How an id that failed its check appears in logs (the audit line of updateUser): enough to recognise
 * the attempt, never the whole value nor a control character.
 */
export function loggableId(id: string): string {
  if (idProblem(id) === undefined) return id;
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  const shown = id.slice(0, 64).replace(/[\u0000-\u001f\u007f-\u009f\uD800-\uDFFF]/g, '\uFFFD');
  return id.length > 64 ? `${shown}… (${id.length} characters)` : shown;
}
