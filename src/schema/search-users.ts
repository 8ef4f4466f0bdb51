import { createHash } from 'node:crypto';
import { badUserInput } from '../errors.js';
import { primeUsers } from '../loaders.js';
import type {
  SearchUsersParams,
  SortValue,
  User,
  UserSearchFilter,
  UserSortField,
} from '../upstream/types.js';
import { builder } from './builder.js';
import {
  checkLength,
  MAX_CURSOR_LENGTH,
  MAX_FILTER_STRING_LENGTH,
  MAX_SORT_VALUE_LENGTH,
  MAX_SORT_VALUES,
} from './input-checks.js';
import { UserRef, UserRoleEnum } from './user.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const UserOrderFieldEnum = builder.enumType('UserOrderField', {
  description: 'What to sort users by. Ties are broken by user id.',
  values: {
    CREATED_AT: { value: 'createdAt' as const, description: 'Creation time.' },
    EMAIL: { value: 'email' as const, description: 'Email address.' },
    NAME: { value: 'name' as const, description: 'Display name.' },
    LAST_LOGIN: { value: 'lastLoggedAt' as const, description: 'Latest login.' },
    ROLE: { value: 'role' as const, description: 'Role name.' },
  },
});

const OrderDirectionEnum = builder.enumType('OrderDirection', {
  description: 'Sort direction.',
  values: {
    ASC: { value: 'asc' as const, description: 'Ascending.' },
    DESC: { value: 'desc' as const, description: 'Descending.' },
  },
});

const UserFilterInput = builder.inputType('UserFilter', {
  description: 'Conditions a user must meet; all given conditions apply together.',
  fields: (t) => ({
    roles: t.field({
      type: [UserRoleEnum],
      required: false,
      description: 'Any of these roles (a non-empty list).',
    }),
    enabled: t.boolean({ required: false, description: 'Only enabled (true) or disabled (false) users.' }),
    email: t.string({ required: false, description: 'This exact email address, ignoring case.' }),
    idp: t.string({ required: false, description: 'Users with a mapping to this identity provider.' }),
    query: t.string({
      required: false,
      description: 'A case-insensitive piece of the email, name or nick.',
    }),
  }),
});

const UserOrderInput = builder.inputType('UserOrder', {
  description: 'The order of search results.',
  fields: (t) => ({
    field: t.field({ type: UserOrderFieldEnum, required: true, description: 'What to sort by.' }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: 'Which way.' }),
  }),
});

interface UserEdge {
  cursor: string;
  node: User;
}
interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface UserConnection {
  edges: UserEdge[];
  pageInfo: PageInfo;
  totalCount: number;
}

const UserEdgeRef = builder.objectRef<UserEdge>('UserEdge').implement({
  description: 'A user in a page of search results.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Pass as `after` to continue after this user.' }),
    node: t.field({ type: UserRef, description: 'The user.', resolve: (edge) => edge.node }),
  }),
});

const PageInfoRef = builder.objectRef<PageInfo>('PageInfo').implement({
  description: 'Where a page sits in the whole result.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'Whether more results follow.' }),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', { description: 'Whether results precede.' }),
    startCursor: t.exposeString('startCursor', {
      nullable: true,
      description: 'The cursor of the first edge.',
    }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'The cursor of the last edge; pass as `after` for the next page.',
    }),
  }),
});

const UserConnectionRef = builder.objectRef<UserConnection>('UserConnection').implement({
  description: 'A page of users (Relay connection; forward paging only, as the User API pages).',
  fields: (t) => ({
    edges: t.field({ type: [UserEdgeRef], description: 'The page, with cursors.', resolve: (c) => c.edges }),
    nodes: t.field({
      type: [UserRef],
      description: 'The page, without cursors.',
      resolve: (c) => c.edges.map((edge) => edge.node),
    }),
    pageInfo: t.field({ type: PageInfoRef, description: 'Paging state.', resolve: (c) => c.pageInfo }),
    totalCount: t.exposeInt('totalCount', { description: 'All users matching the filter.' }),
  }),
});

/**
 * What a cursor holds: the query it belongs to (a hash of filter and order), the number of results
 * before the next page, and, on a page's last edge, the upstream's sort values for `search_after`
 * (stateless and stable deep paging). Opaque to clients: base64url of JSON.
 */
interface Cursor {
  v: 1;
  q: string;
  o: number;
  a?: SortValue[];
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string, queryKey: string): Cursor {
  // Bounded before decoding: a forged cursor must cost neither memory nor an upstream call.
  if (value.length > MAX_CURSOR_LENGTH) throw badUserInput('`after` is not a cursor of searchUsers');
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput('`after` is not a cursor of searchUsers');
  }
  if (!isCursor(cursor)) throw badUserInput('`after` is not a cursor of searchUsers');
  if (cursor.q !== queryKey) {
    throw badUserInput('`after` belongs to a search with another filter or order');
  }
  return cursor;
}

function isCursor(value: unknown): value is Cursor {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    c.v === 1 &&
    typeof c.q === 'string' &&
    Number.isSafeInteger(c.o) &&
    (c.o as number) >= 0 &&
    (c.a === undefined || (Array.isArray(c.a) && c.a.length <= MAX_SORT_VALUES && c.a.every(isSortValue)))
  );
}

/** A search_after value as the upstream sends them: a short string, a finite number or null. */
function isSortValue(x: unknown): boolean {
  return (
    x === null ||
    (typeof x === 'string' && x.length <= MAX_SORT_VALUE_LENGTH) ||
    (typeof x === 'number' && Number.isFinite(x))
  );
}

function queryKeyOf(filter: UserSearchFilter, sortBy: UserSortField, sortOrder: string): string {
  return createHash('sha256')
    .update(JSON.stringify([filter, sortBy, sortOrder]))
    .digest('base64url')
    .slice(0, 16);
}

builder.queryField('searchUsers', (t) =>
  t.field({
    type: UserConnectionRef,
    description: 'Users of the organisation that match `filter`, a page at a time.',
    args: {
      filter: t.arg({ type: UserFilterInput, required: false, description: 'Conditions; none = all users.' }),
      orderBy: t.arg({
        type: UserOrderInput,
        required: false,
        description: 'Sort order; by default oldest first (CREATED_AT ASC).',
      }),
      first: t.arg.int({
        required: false,
        description: `Page size, 1-${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.`,
      }),
      after: t.arg.string({ required: false, description: 'An `endCursor` (or edge cursor) of a page.' }),
    },
    resolve: async (_root, args, { api, loaders, calls }) => {
      const first = args.first ?? DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
        throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`);
      }
      const filter = toUpstreamFilter(args.filter ?? {});
      const sortBy = args.orderBy?.field ?? 'createdAt';
      const sortOrder = args.orderBy?.direction ?? 'asc';
      const queryKey = queryKeyOf(filter, sortBy, sortOrder);
      const after = args.after == null ? undefined : decodeCursor(args.after, queryKey);
      const offset = after?.o ?? 0;

      const params: SearchUsersParams = { filter, sortBy, sortOrder, limit: first };
      if (after?.a) params.searchAfter = after.a;
      else if (offset > 0) params.offset = offset;

      const result = await api.searchUsers(params, calls);
      primeUsers(loaders, result.users);

      const users = result.users;
      const searchAfter = result.next?.searchAfter ?? result.sort;
      const edges = users.map((node, i) => {
        const isLast = i === users.length - 1;
        const cursor: Cursor = { v: 1, q: queryKey, o: offset + i + 1 };
        if (isLast && searchAfter) cursor.a = searchAfter;
        return { cursor: encodeCursor(cursor), node };
      });
      return {
        edges,
        totalCount: result.totalHits,
        pageInfo: {
          hasNextPage:
            users.length > 0 && (result.next !== undefined || offset + users.length < result.totalHits),
          hasPreviousPage: offset > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);

function toUpstreamFilter(input: {
  roles?: readonly UserSearchFilter['role'][] | null;
  enabled?: boolean | null;
  email?: string | null;
  idp?: string | null;
  query?: string | null;
}): UserSearchFilter {
  const filter: UserSearchFilter = {};
  if (input.roles != null) {
    if (input.roles.length === 0)
      throw badUserInput('filter.roles must not be empty; omit it to match every role');
    filter.role = [...new Set(input.roles)] as UserSearchFilter['role'];
  }
  if (input.enabled != null) filter.enabled = input.enabled;
  checkLength(input.email, 'filter.email', MAX_FILTER_STRING_LENGTH);
  checkLength(input.idp, 'filter.idp', MAX_FILTER_STRING_LENGTH);
  checkLength(input.query, 'filter.query', MAX_FILTER_STRING_LENGTH);
  if (input.email != null) filter.email = input.email;
  if (input.idp != null) filter.idp = input.idp;
  if (input.query != null) filter.query = input.query;
  return filter;
}
