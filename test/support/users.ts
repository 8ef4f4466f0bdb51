import type { User } from '../../src/upstream/types.js';

/** A minimal domain User for fake User APIs (tests of the layers above the client). */
export function fakeUser(id: string, orgId: string, name = `name of ${id}`): User {
  return {
    id,
    orgId,
    name,
    role: 'user',
    scopes: [],
    enabled: true,
    createdAt: '2024-01-01T00:00:00.000Z',
    roleIds: [],
    additionalScopes: [],
    lastLoggedAt: [],
    idpMappings: [],
    oldIdpMappings: [],
  };
}
