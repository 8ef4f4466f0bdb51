import { isDeepStrictEqual } from 'node:util';
import { getArgumentValues, type GraphQLResolveInfo } from 'graphql';
import { badUserInput } from '../errors.js';
import { USER_ROLES, type IdpMapping, type User, type UserRole } from '../upstream/types.js';
import { builder } from './builder.js';
import { checkId, checkIds, idMessage, idProblem } from './input-checks.js';

const ROLE_DESCRIPTIONS: Record<UserRole, string> = {
  bare: 'No static role: may log in, sees nothing until granted.',
  user: 'An analyst: reads and works on the organisation’s data.',
  admin: 'Administers the organisation, its users and API clients.',
  master: 'The User API’s `master` role.',
  sat: 'The User API’s `sat` role.',
};

export const UserRoleEnum = builder.enumType('UserRole', {
  description: 'The highest static role of a user, as the User API derives it.',
  values: Object.fromEntries(
    USER_ROLES.map((role) => [role.toUpperCase(), { value: role, description: ROLE_DESCRIPTIONS[role] }]),
  ) as Record<Uppercase<UserRole>, { value: UserRole; description: string }>,
});

const IdpMappingRef = builder.objectRef<IdpMapping>('IdpMapping').implement({
  description: 'A link between the user and an identity provider account.',
  fields: (t) => ({
    idp: t.exposeString('idp', { description: 'The identity provider, e.g. "okta".' }),
    userIdentityId: t.exposeString('userIdentityId', {
      description: 'The user’s identity at that provider.',
    }),
    organizationId: t.exposeString('organizationId', {
      nullable: true,
      description: 'The organisation at that provider, when it has one.',
    }),
    ccoId: t.exposeString('ccoId', { nullable: true, description: 'The Cisco.com (CCO) id, when linked.' }),
    enabled: t.exposeBoolean('enabled', { nullable: true, description: 'Whether this mapping is active.' }),
  }),
});

export const UserRef = builder.objectRef<User>('User').implement({
  description: 'A user of a Cisco XDR organisation.',
  // A Federation entity (@key(fields: "id")): other subgraphs hold user ids and the router resolves
  // them through `_entities`, which shares the request's loader with `user` and `users`, so all of
  // them together cost one batch per 100 distinct ids. The loader's api checks the `read` scope.
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The user id, e.g. "idb-amp:…" or a bare UUID.' }),
    orgId: t.exposeID('orgId', { description: 'The organisation the user belongs to.' }),
    email: t.exposeString('email', { nullable: true, description: 'The login email address.' }),
    name: t.exposeString('name', { nullable: true, description: 'The display name.' }),
    nick: t.exposeString('nick', { nullable: true, description: 'The nickname.' }),
    role: t.expose('role', { type: UserRoleEnum, description: 'The highest static role.' }),
    roleIds: t.exposeStringList('roleIds', {
      description: 'Static roles plus custom role ids assigned to the user.',
    }),
    piamCustomRoleId: t.exposeString('piamCustomRoleId', {
      nullable: true,
      description: 'The custom role assigned in Cisco Security Cloud, when there is one.',
    }),
    scopes: t.exposeStringList('scopes', { description: 'The OAuth scopes the user’s role grants.' }),
    additionalScopes: t.exposeStringList('additionalScopes', {
      description: 'Scopes granted to this user on top of the role’s.',
    }),
    enabled: t.exposeBoolean('enabled', { description: 'Whether the user may log in.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user was created.' }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the user was last changed.',
    }),
    enabledAt: t.expose('enabledAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the user was last enabled.',
    }),
    activatedAt: t.expose('activatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the user activated the account.',
    }),
    approvedAt: t.expose('approvedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an administrator approved the user.',
    }),
    blockedAt: t.expose('blockedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the user was last disabled.',
    }),
    lastLoggedAt: t.field({
      type: ['DateTime'],
      description: 'Recent logins, as the User API records them.',
      resolve: (user) => user.lastLoggedAt,
    }),
    lastLoginAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The latest login, or null if the user never logged in.',
      resolve: (user) => latest(user.lastLoggedAt),
    }),
    idpMappings: t.field({
      type: [IdpMappingRef],
      description: 'Identity provider accounts linked to the user.',
      resolve: (user) => user.idpMappings,
    }),
  }),
});

function latest(timestamps: readonly string[]): string | null {
  let best: string | null = null;
  let bestMs = -Infinity;
  for (const value of timestamps) {
    const ms = Date.parse(value);
    if (ms > bestMs) [best, bestMs] = [value, ms];
  }
  return best;
}

// Other subgraphs reference users by id; the router's `_entities` lookups go through the request's
// loader like every other by-id lookup, so they batch with them. Unknown ids resolve to null; a
// malformed one fails its own representation only (the promise rejects: a throw would fail the field).
builder.asEntity(UserRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: async (ref, { loaders }, info) => {
    const id: unknown = ref.id;
    const problem =
      typeof id === 'string' ? idProblem(id) : Number.isSafeInteger(id) ? undefined : 'it is not a string';
    if (problem !== undefined) {
      const argument = `${representationArgument(ref, info)}.id`;
      throw badUserInput(idMessage(argument, problem), { argument });
    }
    return loaders.user.load(String(id));
  },
});

// Per `_entities` field: the representation indexes already named by an error, so that equal bad
// representations are each named by their own index.
const namedRepresentations = new WeakMap<GraphQLResolveInfo, Set<number>>();

/**
 * `representations[i]` for the representation `ref` of the `_entities` field being resolved: the
 * federation library hands resolveReference the representation but not its index. Only computed for
 * an error, so that a valid lookup costs nothing.
 */
function representationArgument(ref: object, info: GraphQLResolveInfo): string {
  const field = info.parentType.getFields()[info.fieldName];
  const node = info.fieldNodes[0];
  const given: unknown =
    field && node ? getArgumentValues(field, node, info.variableValues)['representations'] : [];
  const list: unknown[] = Array.isArray(given) ? given : [];
  let named = namedRepresentations.get(info);
  if (!named) namedRepresentations.set(info, (named = new Set()));
  const taken = named;
  let index = list.findIndex((r, i) => !taken.has(i) && r === ref);
  if (index < 0) index = list.findIndex((r, i) => !taken.has(i) && isDeepStrictEqual(r, ref));
  if (index < 0) return 'representations[?]';
  taken.add(index);
  return `representations[${index}]`;
}

builder.queryFields((t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    description: 'The user with this id, or null when it does not exist or is in another organisation.',
    args: { id: t.arg.id({ required: true, description: 'The user id.' }) },
    resolve: (_root, { id }, { loaders }) => loaders.user.load(checkId(String(id), 'id')),
  }),
  users: t.field({
    type: [UserRef],
    nullable: { list: false, items: true },
    description:
      'The users with these ids, in the same order and of the same length as `ids`; null where a user ' +
      'does not exist or is not visible. Repeated ids are looked up once.',
    args: {
      ids: t.arg.idList({ required: true, description: 'User ids; at most the configured cap (500).' }),
    },
    resolve: async (_root, { ids }, { loaders, settings }) => {
      if (ids.length > settings.maxUserIds) {
        throw badUserInput(`users(ids:) accepts at most ${settings.maxUserIds} ids, got ${ids.length}`, {
          maxIds: settings.maxUserIds,
        });
      }
      const strings = ids.map(String);
      // The whole field is refused, before any of its ids joins a batch.
      checkIds(strings, 'ids');
      return Promise.all(strings.map((id) => loaders.user.load(id)));
    },
  }),
}));
