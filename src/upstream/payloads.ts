// Wire shapes of the User API (kebab-case keys, booleans ending in `?`) and their mapping to the
// camelCase domain types. Nothing outside src/upstream/ sees a wire shape.
//
// Tolerance rules, from the contract: unknown extra keys are dropped (the real API adds keys over
// time), optional keys may be absent or null, but a missing required key or a wrong type is a
// contract breach and fails the whole response. `scim` is not in the schema at all, so its
// `access-token` is dropped here and can never reach a log, a cache or a client.
import { z } from 'zod';
import { isDateTime } from './date-time.js';
import type {
  Org,
  SearchUsersResult,
  SortValue,
  UserChanges,
  UserSearchFilter,
  UserSortField,
  Whoami,
} from './types.js';
import { userPayload, usersPayload } from './user-payload.js';

export { userPayload };

/** Absent and null mean the same for an optional key; the domain only knows undefined. */
function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((value): z.output<T> | undefined => value ?? undefined);
}

const dateTime = z.string().refine(isDateTime, 'not a date-time');
const optionalString = optional(z.string());
const optionalDateTime = optional(dateTime);
const stringList = z.array(z.string());
/** A list the upstream may leave out; the domain always has an array. */
const optionalStringList = optional(stringList);

/** Drops undefined values so domain objects carry only the keys the upstream sent. */
function defined<T extends object>(value: T): T {
  // A plain loop: this runs for every user of every response, and entries/filter/fromEntries
  // allocate three arrays per user.
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

/** The `org` of whoami, mapped to the domain `Org`. */
export const orgPayload = z
  .object({
    id: z.string().min(1),
    name: optionalString,
    'additional-scopes': optionalStringList,
    'scim-status': optionalString,
    'activation-status': optionalString,
    'allow-all-role-to-login': optional(z.boolean()),
    'enabled?': optional(z.boolean()),
    'created-at': optionalDateTime,
    'updated-at': optionalDateTime,
    settings: optional(z.record(z.string(), z.unknown())),
  })
  .transform((o): Org =>
    defined({
      id: o.id,
      name: o.name,
      additionalScopes: o['additional-scopes'] ?? [],
      scimStatus: o['scim-status'],
      activationStatus: o['activation-status'],
      allowAllRoleToLogin: o['allow-all-role-to-login'],
      enabled: o['enabled?'],
      createdAt: o['created-at'],
      updatedAt: o['updated-at'],
      settings: o.settings,
    }),
  );

/** `GET /iroh/profile/whoami`: `{"user", "org"}`. */
export const whoamiPayload = z
  .object({ user: userPayload, org: orgPayload })
  .transform((w): Whoami => ({ user: w.user, org: w.org }));

/** `GET /batch/users`: a JSON array of users, in storage order. */
export const batchUsersPayload = usersPayload;

const sortValue = z.union([z.string(), z.number(), z.null()]);

const pagingPayload = z.object({
  'total-hits': z.number().int().nonnegative(),
  sort: optional(z.array(sortValue)),
  next: z
    .object({
      limit: z.number().int().positive(),
      offset: optional(z.number().int().nonnegative()),
      search_after: optional(z.array(sortValue)),
    })
    .nullish(),
});

/** `{"data", "paging"}` as the contract says, or a plain array as some IROH searches answer. */
export const searchUsersPayload = z.union([
  z.object({ data: usersPayload, paging: pagingPayload.nullish() }).transform((page): SearchUsersResult => {
    const { paging } = page;
    const result: SearchUsersResult = {
      users: page.data,
      totalHits: paging?.['total-hits'] ?? page.data.length,
    };
    if (paging?.sort) result.sort = paging.sort;
    if (paging?.next) {
      result.next = defined({
        limit: paging.next.limit,
        offset: paging.next.offset,
        searchAfter: paging.next.search_after,
      });
    }
    return result;
  }),
  usersPayload.transform((users): SearchUsersResult => ({ users, totalHits: users.length })),
]);

/** `POST /iroh/oauth2/token`: the client-credentials grant's answer. */
export const tokenPayload = z
  .object({
    access_token: z.string().min(1),
    token_type: z
      .string()
      .refine((type) => type.toLowerCase() === 'bearer', 'not a bearer token')
      .nullish(),
    // RFC 6749 only recommends expires_in; the token manager picks a short default without it.
    expires_in: optional(z.number().positive()),
    scope: optionalString,
  })
  .transform((t) => ({
    accessToken: t.access_token,
    expiresInSec: t.expires_in,
    scopes: t.scope ? t.scope.split(' ').filter(Boolean) : undefined,
  }));
export type TokenResponse = z.output<typeof tokenPayload>;

/**
 * Describes why a payload failed its schema: paths and issue codes only, never a value, so the
 * message can carry no upstream data.
 */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path || '(root)'} (${issue.code})`;
  });
  const more = error.issues.length > shown.length ? ` and ${error.issues.length - shown.length} more` : '';
  return `${shown.join(', ')}${more}`;
}

// Error bodies. Their text is upstream data: only keys and short reason tokens are kept, and only
// when they look like identifiers, so nothing free-form flows into our errors.
const TOKEN_LIKE = /^[A-Za-z][A-Za-z0-9_.:?-]{0,63}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The reasons of a 400: `{"errors": {key: reason}}` or the bare map. An OAuth-style body
 * (`{"error", "error_description"}`) has no per-key reasons and yields `{}`.
 */
export function badInputReasons(body: unknown): Record<string, string> {
  if (!isRecord(body)) return {};
  let map: Record<string, unknown>;
  if (isRecord(body.errors)) map = body.errors;
  else if (typeof body.error === 'string' || 'error_description' in body) return {};
  else map = body;
  const reasons: Record<string, string> = {};
  for (const [key, reason] of Object.entries(map)) {
    if (!TOKEN_LIKE.test(key)) continue;
    reasons[key] = typeof reason === 'string' && TOKEN_LIKE.test(reason) ? reason : 'invalid-value';
  }
  return reasons;
}

/** The scopes of a 403 missing_scope body; empty lists when the body has none (e.g. a role check). */
export function forbiddenScopes(body: unknown): { missing: string[]; required: string[] } {
  const list = (value: unknown) =>
    Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string' && TOKEN_LIKE.test(s)) : [];
  if (!isRecord(body)) return { missing: [], required: [] };
  return { missing: list(body['missing-scopes']), required: list(body['required-scopes']) };
}

/** The `error` code of an OAuth-style body, e.g. "invalid_client", when it looks like one. */
export function oauthErrorCode(body: unknown): string | undefined {
  return isRecord(body) && typeof body.error === 'string' && TOKEN_LIKE.test(body.error)
    ? body.error
    : undefined;
}

// Requests: the domain's camelCase to the wire's kebab-case.

const SORT_FIELDS: Readonly<Record<UserSortField, string>> = {
  createdAt: 'created-at',
  email: 'user-email',
  name: 'user-name',
  lastLoggedAt: 'last-logged-at',
  role: 'role',
};

/** A domain sort field as the `sort_by` query parameter. */
export function toWireSortField(field: UserSortField): string {
  return SORT_FIELDS[field];
}

/** search_after travels in the query string, where every value is text; null is the word "null". */
export function toWireSortValue(value: SortValue): string {
  return value === null ? 'null' : String(value);
}

/** The search filter as the kebab-case UserFilterMap body; unset keys are left out. */
export function toWireFilter(filter: UserSearchFilter = {}): Record<string, unknown> {
  return defined({
    role: filter.role,
    'enabled?': filter.enabled,
    'user-email': filter.email,
    idp: filter.idp,
    query: filter.query,
  });
}

/** The change-a-user body: only the keys the caller set. */
export function toWireChanges(changes: UserChanges): Record<string, unknown> {
  return defined({
    role: changes.role,
    'enabled?': changes.enabled,
    'user-name': changes.name,
    'user-nick': changes.nick,
  });
}
