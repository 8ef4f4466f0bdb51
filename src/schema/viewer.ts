import { toGraphQLError } from '../errors.js';
import { primeUsers } from '../loaders/create-loaders.js';
import type { Org, Whoami } from '../upstream/types.js';
import { builder } from './builder.js';
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

const ViewerRef = builder.objectRef<Whoami>('Viewer').implement({
  description: 'Who the gateway acts as: the owner of its API client, and their organisation.',
  fields: (t) => ({
    user: t.field({
      type: UserRef,
      description: 'The user who owns the credentials.',
      resolve: (w) => w.user,
    }),
    organization: t.field({
      type: OrganizationRef,
      description: 'The organisation of the credentials.',
      resolve: (w) => w.org,
    }),
  }),
});

builder.queryField('me', (t) =>
  t.field({
    type: ViewerRef,
    description: 'The user and organisation behind the gateway’s credentials (whoami).',
    resolve: async (_root, _args, { api, loaders, signal }) => {
      try {
        const whoami = await api.whoami({ signal });
        primeUsers(loaders, [whoami.user]);
        return whoami;
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  }),
);
