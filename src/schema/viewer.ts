import type { Caller } from '../auth/caller.js';
import { primeUsers } from '../loaders.js';
import type { Org, Whoami } from '../upstream/types.js';
import { builder } from './builder.js';
import { isValidUserId } from './input-checks.js';
import { UserRef } from './user.js';

const OrganizationRef = builder.objectRef<Org>('Organization').implement({
  description: 'A Cisco XDR organisation.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The organisation id.' }),
    name: t.exposeString('name', { nullable: true, description: 'The organisation name.' }),
    additionalScopes: t.exposeStringList('additionalScopes', {
      description: 'Scopes granted to the whole organisation on top of its users’ roles.',
    }),
    scimStatus: t.exposeString('scimStatus', {
      nullable: true,
      description: 'SCIM provisioning status: "activated" or "waiting-activation".',
    }),
    activationStatus: t.exposeString('activationStatus', {
      nullable: true,
      description: 'The organisation’s activation status.',
    }),
    allowAllRoleToLogin: t.exposeBoolean('allowAllRoleToLogin', {
      nullable: true,
      description: 'Whether users of every role may log in.',
    }),
    enabled: t.exposeBoolean('enabled', {
      nullable: true,
      description: 'Whether the organisation is enabled.',
    }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the organisation was created.',
    }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the organisation was last changed.',
    }),
  }),
});

/** What `me` resolves to: the caller, and whoami through the caller's api, asked for once if at all. */
interface ViewerSource {
  caller: Caller;
  whoami(): Promise<Whoami>;
}

const ViewerRef = builder.objectRef<ViewerSource>('Viewer').implement({
  description:
    'The caller of this operation: who its token says it is, the organisation it is bound to, and its ' +
    'own user there. With AUTH_MODE=none the caller is the gateway’s own API client.',
  fields: (t) => ({
    subject: t.string({
      description: 'The subject (`sub`) of the caller’s token; "anonymous" with AUTH_MODE=none.',
      resolve: ({ caller }) => caller.subject,
    }),
    clientId: t.string({
      nullable: true,
      description: 'The OAuth client the caller’s token was issued to, when the token names one.',
      resolve: ({ caller }) => caller.clientId ?? null,
    }),
    scopes: t.stringList({
      description:
        'The caller’s scopes, from its token (with AUTH_MODE=none, `users` and `profile`): what it may do here.',
      resolve: ({ caller }) => [...caller.scopes],
    }),
    organization: t.field({
      type: OrganizationRef,
      nullable: true,
      description:
        'The organisation the caller is bound to (the gateway’s own, or with AUTH_MODE=forward the ' +
        'one its token names). Needs the `profile` or `profile:read` scope.',
      resolve: async ({ whoami }) => (await whoami()).org,
    }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description:
        'The organisation’s user whose id is the caller’s subject, or null when there is none. With ' +
        'AUTH_MODE=jwt it is looked up like `user(id:)` (the `users:read` scope); otherwise it comes ' +
        'from whoami (the `profile` or `profile:read` scope).',
      resolve: async ({ caller, whoami }, _args, { loaders }) => {
        // jwt: the gateway's whoami would be its own service account, never this caller; the
        // caller's subject names its user in the org it is bound to, if it has one there. A
        // subject from an issuer that is not XDR's may be no id at all: null, and never sent
        // upstream inside a batch other lookups share.
        if (caller.kind === 'jwt') {
          return isValidUserId(caller.subject) ? await loaders.user.load(caller.subject) : null;
        }
        // none: the caller is the gateway's account; forward: the api carries the caller's token.
        return (await whoami()).user;
      },
    }),
  }),
});

builder.queryField('me', (t) =>
  t.field({
    type: ViewerRef,
    description:
      'The caller of this operation. Its fields are resolved only when asked for: `subject`, ' +
      '`clientId` and `scopes` cost no upstream call.',
    resolve: (_root, _args, { api, caller, loaders, calls }) => {
      let whoami: Promise<Whoami> | undefined;
      return {
        caller,
        whoami: () =>
          (whoami ??= api.whoami(calls).then((w) => {
            primeUsers(loaders, [w.user]);
            return w;
          })),
      };
    },
  }),
);
