import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { restSearch } from '../support/rest.js';
import { clientOf } from '../support/client.js';

let gw: TestGateway;
let readonly: TestGateway;
let target: string;
let adminOwnerId: string;

beforeAll(async () => {
  gw = await startTestGateway();
  readonly = await startTestGateway({
    clientId: 'client-demo-readonly',
    clientSecret: 'demo-readonly-secret',
  });
  const users = await restSearch(
    gw.emulator,
    'client-demo-admin',
    { limit: 50 },
    { role: 'user', 'enabled?': true },
  );
  target = String(users[0]?.['user-id']);
  const owner = (await clientOf(gw).me()).me.user;
  if (!owner) throw new Error('me has no user');
  adminOwnerId = owner.id;
});
afterAll(async () => {
  await gw.close();
  await readonly.close();
});
beforeEach(() => gw.emulator.resetStats());

describe('updateUser', () => {
  it('changes name and nick, and the next query sees the change at once', async () => {
    const { user: before } = await clientOf(gw).getUser(target);
    const { updateUser } = await clientOf(gw).updateUser(target, { name: 'Ada Lovelace', nick: 'ada' });
    expect(updateUser).toEqual({
      __typename: 'UpdateUserSuccess',
      user: expect.objectContaining({ id: target, name: 'Ada Lovelace', nick: 'ada' }),
    });
    const { user: after } = await clientOf(gw).getUser(target);
    expect(after).toEqual({ ...before, name: 'Ada Lovelace', nick: 'ada', updatedAt: expect.any(String) });
    expect(Date.parse(String(after?.updatedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(before?.updatedAt ?? 0)),
    );
    const stats = await gw.emulator.stats();
    expect(stats.calls.changeUser).toBe(1);
    expect(stats.calls.getUser).toBe(0);
  });

  it('disables and enables a user, and changes the role', async () => {
    const off = await clientOf(gw).updateUser(target, { enabled: false });
    expect(off.updateUser).toEqual(
      expect.objectContaining({
        user: expect.objectContaining({ enabled: false, blockedAt: expect.any(String) }),
      }),
    );
    const on = await clientOf(gw).updateUser(target, { enabled: true, role: 'ADMIN' });
    expect(on.updateUser).toEqual(
      expect.objectContaining({
        user: expect.objectContaining({ enabled: true, role: 'ADMIN', enabledAt: expect.any(String) }),
      }),
    );
    await clientOf(gw).updateUser(target, { role: 'USER' });
  });

  it('an unknown user is a NotFoundError', async () => {
    const { updateUser } = await clientOf(gw).updateUser('idb-amp:00000000-0000-0000-0000-00000000cafe', {
      nick: 'x',
    });
    expect(updateUser).toEqual({
      __typename: 'NotFoundError',
      message: 'No user idb-amp:00000000-0000-0000-0000-00000000cafe in this organisation',
    });
  });

  it('demoting or disabling yourself is a ValidationError on `id`', async () => {
    for (const input of [{ role: 'USER' as const }, { enabled: false }]) {
      const { updateUser } = await clientOf(gw).updateUser(adminOwnerId, input);
      expect(updateUser).toEqual({
        __typename: 'ValidationError',
        message: 'Invalid input: id',
        fields: [{ path: ['id'], message: 'You cannot demote or disable yourself' }],
      });
    }
  });

  it('an empty input or explicit nulls are ValidationErrors with no upstream call', async () => {
    expect((await clientOf(gw).updateUser(target, {})).updateUser).toEqual({
      __typename: 'ValidationError',
      message: 'Invalid input: input',
      fields: [{ path: ['input'], message: 'Give at least one field to change' }],
    });
    expect((await clientOf(gw).updateUser(target, { enabled: null, nick: null })).updateUser).toEqual({
      __typename: 'ValidationError',
      message: 'Invalid input: input.enabled, input.nick',
      fields: [
        { path: ['input', 'enabled'], message: 'Omit the field instead of null' },
        { path: ['input', 'nick'], message: 'Omit the field instead of null' },
      ],
    });
    expect((await gw.emulator.stats()).calls.changeUser).toBe(0);
  });

  it('a value the upstream rejects comes back on the GraphQL input name, not the kebab-case key', async () => {
    const { updateUser } = await clientOf(gw).updateUser(target, { name: '' });
    expect(updateUser).toEqual({
      __typename: 'ValidationError',
      message: 'Invalid input: input.name',
      fields: [{ path: ['input', 'name'], message: 'This value is not allowed' }],
    });
  });

  it('read-only credentials get a ForbiddenError naming the missing scope', async () => {
    const { updateUser } = await clientOf(readonly).updateUser(target, { nick: 'nope' });
    expect(updateUser).toEqual({
      __typename: 'ForbiddenError',
      message: 'These credentials may not change users',
      missingScopes: ['users'],
    });
  });
});
