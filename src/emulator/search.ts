import { isPlainObject, validationError } from './http.js';
import type { ValidationErrors } from './http.js';
import { ROLES, isRole, presentUser } from './model.js';
import type { Role, StoredUser } from './model.js';

export const SORT_FIELDS = ['created-at', 'user-email', 'user-name', 'last-logged-at', 'role'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;

type SortValue = string | number | null;

interface Filter {
  roles?: Set<Role>;
  enabled?: boolean;
  email?: string;
  idp?: string;
  query?: string;
}

interface Paging {
  sortBy: SortField;
  direction: 1 | -1;
  offset: number;
  limit: number;
  /** [sort value, user-id] of the last hit of the previous page. */
  searchAfter?: [SortValue, string];
}

const FILTER_KEYS = new Set(['role', 'enabled?', 'user-email', 'idp', 'query']);

function parseFilter(body: unknown, errors: ValidationErrors): Filter {
  const filter: Filter = {};
  if (body === undefined) return filter;
  if (!isPlainObject(body)) {
    errors.body = 'invalid-value';
    return filter;
  }
  for (const [key, value] of Object.entries(body)) {
    if (!FILTER_KEYS.has(key)) {
      errors[key] = 'disallowed-key';
      continue;
    }
    const isString = typeof value === 'string';
    switch (key) {
      case 'role':
        if (isRole(value)) filter.roles = new Set([value]);
        else if (Array.isArray(value) && value.length > 0 && value.every(isRole))
          filter.roles = new Set(value);
        else errors.role = 'invalid-value';
        break;
      case 'enabled?':
        if (typeof value === 'boolean') filter.enabled = value;
        else errors[key] = 'invalid-value';
        break;
      case 'user-email':
        if (isString) filter.email = value.toLowerCase();
        else errors[key] = 'invalid-value';
        break;
      case 'idp':
        if (isString) filter.idp = value;
        else errors[key] = 'invalid-value';
        break;
      case 'query':
        if (isString) filter.query = value.toLowerCase();
        else errors[key] = 'invalid-value';
        break;
    }
  }
  return filter;
}

/** A non-negative integer written in plain digits; "1e3", "-0", " 5" and "5.0" are all refused. */
function parseCount(raw: string): number | undefined {
  if (!/^\d{1,9}$/.test(raw)) return undefined;
  return Number(raw);
}

function single(params: URLSearchParams, name: string, errors: ValidationErrors): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) errors[name] = 'invalid-value';
  return values[0];
}

function parsePaging(params: URLSearchParams, errors: ValidationErrors): Paging {
  const paging: Paging = { sortBy: 'created-at', direction: 1, offset: 0, limit: DEFAULT_LIMIT };

  const sortBy = single(params, 'sort_by', errors);
  if (sortBy !== undefined) {
    if ((SORT_FIELDS as readonly string[]).includes(sortBy)) paging.sortBy = sortBy as SortField;
    else errors.sort_by = 'invalid-value';
  }
  const sortOrder = single(params, 'sort_order', errors);
  if (sortOrder !== undefined) {
    if (sortOrder === 'asc' || sortOrder === 'desc') paging.direction = sortOrder === 'asc' ? 1 : -1;
    else errors.sort_order = 'invalid-value';
  }
  const offset = single(params, 'offset', errors);
  if (offset !== undefined) {
    const parsed = parseCount(offset);
    if (parsed === undefined) errors.offset = 'invalid-value';
    else paging.offset = parsed;
  }
  const limit = single(params, 'limit', errors);
  if (limit !== undefined) {
    const parsed = parseCount(limit);
    if (parsed === undefined || parsed < 1 || parsed > MAX_LIMIT) errors.limit = 'invalid-value';
    else paging.limit = parsed;
  }

  const after = params.getAll('search_after');
  if (after.length > 0) {
    const [rawValue, userId] = after;
    const value = rawValue === undefined ? undefined : parseSortValue(paging.sortBy, rawValue);
    if (after.length !== 2 || value === undefined || userId === undefined)
      errors.search_after = 'invalid-value';
    else paging.searchAfter = [value, userId];
  }
  return paging;
}

/**
 * The sort value of a hit, as reported in `paging.sort`: epoch milliseconds for dates (as
 * Elasticsearch reports them), lower-cased strings for text (a keyword with a lowercase normaliser,
 * so "Zoe@…" does not sort before "adam@…"), and the role name.
 * Missing text sorts as ""; a user who never logged in has null for last-logged-at, and null sorts
 * before every date: "never" is the stalest possible login, so ascending starts with them and
 * descending (most recent first) ends with them.
 */
function sortValue(user: StoredUser, field: SortField): SortValue {
  switch (field) {
    case 'created-at':
      return Date.parse(user['created-at']);
    case 'last-logged-at': {
      const logins = user['last-logged-at'].map((t) => Date.parse(t));
      return logins.length === 0 ? null : Math.max(...logins);
    }
    case 'user-email':
      return (user['user-email'] ?? '').toLowerCase();
    case 'user-name':
      return (user['user-name'] ?? '').toLowerCase();
    case 'role':
      return user.role;
  }
}

/**
 * Reads a search_after value back from the query string, where every value arrives as text: dates as
 * epoch milliseconds (or an ISO date-time), a never-logged-in cursor as the word null.
 */
function parseSortValue(field: SortField, raw: string): SortValue | undefined {
  switch (field) {
    case 'created-at':
    case 'last-logged-at': {
      if (field === 'last-logged-at' && raw === 'null') return null;
      if (/^-?\d{1,15}$/.test(raw)) return Number(raw);
      const parsed = Date.parse(raw);
      return Number.isNaN(parsed) ? undefined : parsed;
    }
    case 'role':
      return (ROLES as readonly string[]).includes(raw) ? raw : undefined;
    default:
      return raw.toLowerCase();
  }
}

function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Code-point order, not localeCompare: the order must not depend on the host's locale.
  return String(a) < String(b) ? -1 : 1;
}

function matches(user: StoredUser, filter: Filter): boolean {
  if (filter.roles && !filter.roles.has(user.role)) return false;
  if (filter.enabled !== undefined && user['enabled?'] !== filter.enabled) return false;
  if (filter.email !== undefined && user['user-email']?.toLowerCase() !== filter.email) return false;
  if (filter.idp !== undefined && !user['idp-mappings'].some((m) => m.idp === filter.idp)) return false;
  if (filter.query !== undefined) {
    const q = filter.query;
    const fields = [user['user-email'], user['user-name'], user['user-nick']];
    if (!fields.some((f) => f !== undefined && f.toLowerCase().includes(q))) return false;
  }
  return true;
}

/**
 * Runs a search over one org's users. With search_after, paging starts right after that cursor and
 * `offset` is ignored (it is still reported in `next`, as the absolute position, for offset pagers).
 */
export function searchUsers(
  users: readonly StoredUser[],
  body: unknown,
  params: URLSearchParams,
): Record<string, unknown> {
  const errors: ValidationErrors = {};
  const filter = parseFilter(body, errors);
  const paging = parsePaging(params, errors);
  if (Object.keys(errors).length > 0) throw validationError(errors);

  const { sortBy, direction, limit } = paging;
  const compare = (a: [SortValue, string], b: [SortValue, string]) =>
    direction * (compareValues(a[0], b[0]) || compareValues(a[1], b[1]));
  const hits = users
    .filter((user) => matches(user, filter))
    .map((user) => ({ user, key: [sortValue(user, sortBy), user['user-id']] as [SortValue, string] }))
    .sort((a, b) => compare(a.key, b.key));

  let start = paging.offset;
  const cursor = paging.searchAfter;
  if (cursor) {
    start = hits.findIndex((hit) => compare(hit.key, cursor) > 0);
    if (start === -1) start = hits.length;
  }
  const page = hits.slice(start, start + limit);
  const last = page.at(-1);
  const nextOffset = start + page.length;

  const result: Record<string, unknown> = {
    'total-hits': hits.length,
    sort: last ? last.key : [],
  };
  if (last && nextOffset < hits.length) {
    result.next = { limit, offset: nextOffset, search_after: last.key };
  }
  return { data: page.map((hit) => presentUser(hit.user)), paging: result };
}
