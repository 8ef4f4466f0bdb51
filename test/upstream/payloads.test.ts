import { parseRetryAfter } from '../../src/upstream/responses.js';
import {
  badInputReasons,
  batchUsersPayload,
  describeIssues,
  forbiddenScopes,
  oauthErrorCode,
  orgPayload,
  searchUsersPayload,
  toWireChanges,
  toWireFilter,
  toWireSortField,
  toWireSortValue,
  tokenPayload,
  userPayload,
  whoamiPayload,
} from '../../src/upstream/payloads.js';
import { REGIONS, resolveBaseUrl } from '../../src/upstream/regions.js';
import { wireUser } from '../support/stub-server.js';

describe('regions', () => {
  it('maps each region to its host', () => {
    expect(REGIONS.map((region) => resolveBaseUrl({ region }))).toEqual([
      'https://visibility.amp.cisco.com',
      'https://visibility.eu.amp.cisco.com',
      'https://visibility.apjc.amp.cisco.com',
    ]);
  });

  it('lets an explicit base URL win, without a trailing slash', () => {
    expect(resolveBaseUrl({ region: 'eu', baseUrl: 'http://127.0.0.1:4001/' })).toBe('http://127.0.0.1:4001');
    expect(resolveBaseUrl({})).toBe('https://visibility.amp.cisco.com');
  });
});

const FULL_WIRE_USER = {
  'user-id': 'idb-amp:5a9c',
  'org-id': 'org-1',
  role: 'admin',
  scopes: ['admin', 'users'],
  'enabled?': false,
  'created-at': '2023-05-01T10:00:00.000Z',
  'user-email': 'ada@example.com',
  'user-name': 'Ada Lovelace',
  'user-nick': 'ada',
  'role-ids': ['admin', 'custom-1'],
  'piam-custom-role-id': 'custom-1',
  'additional-scopes': ['sse'],
  'updated-at': '2023-06-01T10:00:00.000Z',
  'enabled-at': '2023-05-02T10:00:00.000Z',
  'activated-at': '2023-05-03T10:00:00.000Z',
  'approved-at': '2023-05-04T10:00:00.000Z',
  'blocked-at': '2023-07-01T10:00:00.000Z',
  'last-logged-at': ['2023-05-05T10:00:00.000Z', '2023-05-06T10:00:00.000Z'],
  'idp-mappings': [
    {
      idp: 'okta',
      'user-identity-id': 'ada@okta',
      'organization-id': 'okta-org',
      'cco-id': 'cco-1',
      'enabled?': true,
    },
  ],
  'old-idp-mappings': [{ idp: 'azure-ad', 'user-identity-id': 'ada@azure' }],
  scim: { id: 'scim-1', 'access-token': 'scim-secret-token', 'group-id': 'g-1' },
  'some-future-key': { nested: true },
};

describe('user payload', () => {
  it('maps every contract key to the domain, drops scim and unknown keys', () => {
    const user = userPayload.parse(FULL_WIRE_USER);
    expect(user).toStrictEqual({
      id: 'idb-amp:5a9c',
      orgId: 'org-1',
      role: 'admin',
      scopes: ['admin', 'users'],
      enabled: false,
      createdAt: '2023-05-01T10:00:00.000Z',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      nick: 'ada',
      roleIds: ['admin', 'custom-1'],
      piamCustomRoleId: 'custom-1',
      additionalScopes: ['sse'],
      updatedAt: '2023-06-01T10:00:00.000Z',
      enabledAt: '2023-05-02T10:00:00.000Z',
      activatedAt: '2023-05-03T10:00:00.000Z',
      approvedAt: '2023-05-04T10:00:00.000Z',
      blockedAt: '2023-07-01T10:00:00.000Z',
      lastLoggedAt: ['2023-05-05T10:00:00.000Z', '2023-05-06T10:00:00.000Z'],
      idpMappings: [
        {
          idp: 'okta',
          userIdentityId: 'ada@okta',
          organizationId: 'okta-org',
          ccoId: 'cco-1',
          enabled: true,
        },
      ],
      oldIdpMappings: [{ idp: 'azure-ad', userIdentityId: 'ada@azure' }],
    });
    expect(JSON.stringify(user)).not.toMatch(/scim|access-token|future/);
  });

  it('fills absent lists with [] and leaves absent or null optional keys out', () => {
    const user = userPayload.parse(wireUser('u-1', { 'user-email': null, 'role-ids': null }));
    expect(user).toStrictEqual({
      id: 'u-1',
      orgId: 'org-1',
      role: 'user',
      scopes: ['users:read'],
      enabled: true,
      createdAt: '2024-01-02T03:04:05.000Z',
      roleIds: [],
      additionalScopes: [],
      lastLoggedAt: [],
      idpMappings: [],
      oldIdpMappings: [],
    });
  });

  it('accepts a lone last-logged-at date-time as a one-element history', () => {
    const user = userPayload.parse(wireUser('u-1', { 'last-logged-at': '2024-02-02T00:00:00Z' }));
    expect(user.lastLoggedAt).toEqual(['2024-02-02T00:00:00Z']);
  });

  it.each([
    ['a missing required key', { 'created-at': undefined }],
    ['enabled? of the wrong type', { 'enabled?': 'yes' }],
    ['an unknown role', { role: 'owner' }],
    ['scopes not an array', { scopes: 'users' }],
    ['a date-time that is not one', { 'created-at': 'yesterday' }],
    ['an empty user-id', { 'user-id': '' }],
  ])('refuses %s', (_case, overrides) => {
    expect(userPayload.safeParse(wireUser('u-1', overrides)).success).toBe(false);
  });

  // The one-pass reader names each breach as zod named it: its path and code, never its value.
  it.each([
    [{ 'user-id': '' }, 'user-id (too_small)'],
    [{ 'org-id': 7 }, 'org-id (invalid_type)'],
    [{ role: 'owner' }, 'role (invalid_value)'],
    [{ scopes: ['users', 3] }, 'scopes.1 (invalid_type)'],
    [{ 'enabled?': undefined }, 'enabled? (invalid_type)'],
    [{ 'created-at': 'yesterday' }, 'created-at (custom)'],
    [{ 'user-email': 42 }, 'user-email (invalid_type)'],
    [{ 'role-ids': 'admin' }, 'role-ids (invalid_type)'],
    [{ 'blocked-at': 'never' }, 'blocked-at (custom)'],
    [{ 'last-logged-at': 5 }, 'last-logged-at (invalid_union)'],
    [{ 'last-logged-at': ['2024-01-01T00:00:00Z', 'soon'] }, 'last-logged-at (invalid_union)'],
    [{ 'idp-mappings': {} }, 'idp-mappings (invalid_type)'],
    [{ 'idp-mappings': [{ idp: 'okta' }] }, 'idp-mappings.0.user-identity-id (invalid_type)'],
    [{ 'old-idp-mappings': [null] }, 'old-idp-mappings.0 (invalid_type)'],
    [
      { 'idp-mappings': [{ idp: 'okta', 'user-identity-id': 'a', 'enabled?': 'no' }] },
      'idp-mappings.0.enabled? (invalid_type)',
    ],
    [
      { role: 'owner', scopes: null, 'user-name': false, 'user-nick': 1 },
      'role (invalid_value), scopes (invalid_type), user-name (invalid_type) and 1 more',
    ],
  ])('names the breach %j as %s', (overrides, described) => {
    const parsed = userPayload.safeParse(wireUser('u-1', overrides));
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeIssues(parsed.error)).toBe(described);
  });

  it('names a breach in a list of users by its index, and a user that is not an object', () => {
    const batch = batchUsersPayload.safeParse([wireUser('u-1'), wireUser('u-2', { role: 'owner' })]);
    expect(batch.success || describeIssues(batch.error)).toBe('1.role (invalid_value)');
    const notAUser = batchUsersPayload.safeParse([wireUser('u-1'), 'u-2']);
    expect(notAUser.success || describeIssues(notAUser.error)).toBe('1 (invalid_type)');
    const page = searchUsersPayload.safeParse({ data: [wireUser('u-1', { scopes: [1] })] });
    expect(page.success).toBe(false);
    const whoami = whoamiPayload.safeParse({ user: wireUser('u-1', { 'org-id': '' }), org: { id: 'o' } });
    expect(whoami.success || describeIssues(whoami.error)).toBe('user.org-id (too_small)');
  });

  it('keeps the lists it read rather than copying them', () => {
    const wire = wireUser('u-1', { 'role-ids': ['admin'] });
    const user = userPayload.parse(wire);
    expect(user.scopes).toBe(wire['scopes']);
    expect(user.roleIds).toBe(wire['role-ids']);
  });
});

describe('other payloads', () => {
  it('maps whoami: the user and the org', () => {
    const whoami = whoamiPayload.parse({
      user: wireUser('u-1'),
      org: {
        id: 'org-1',
        name: 'Acme',
        'additional-scopes': [],
        'scim-status': 'activated',
        'activation-status': 'active',
        'allow-all-role-to-login': true,
        'enabled?': true,
        'created-at': '2020-01-01T00:00:00Z',
        'updated-at': '2021-01-01T00:00:00Z',
        settings: { theme: 'dark' },
        'org-future-key': 1,
      },
    });
    expect(whoami.user.id).toBe('u-1');
    expect(whoami.org).toStrictEqual({
      id: 'org-1',
      name: 'Acme',
      additionalScopes: [],
      scimStatus: 'activated',
      activationStatus: 'active',
      allowAllRoleToLogin: true,
      enabled: true,
      createdAt: '2020-01-01T00:00:00Z',
      updatedAt: '2021-01-01T00:00:00Z',
      settings: { theme: 'dark' },
    });
    expect(orgPayload.parse({ id: 'org-2' })).toStrictEqual({ id: 'org-2', additionalScopes: [] });
  });

  it('maps a search page with paging', () => {
    const page = searchUsersPayload.parse({
      data: [wireUser('u-1'), wireUser('u-2')],
      paging: {
        'total-hits': 7,
        sort: [1700000000000, 'u-2'],
        next: { limit: 2, offset: 2, search_after: [1700000000000, 'u-2'] },
      },
    });
    expect(page.users.map((u) => u.id)).toEqual(['u-1', 'u-2']);
    expect(page).toMatchObject({
      totalHits: 7,
      sort: [1700000000000, 'u-2'],
      next: { limit: 2, offset: 2, searchAfter: [1700000000000, 'u-2'] },
    });
  });

  it('maps the last search page (no next) and a plain array', () => {
    const last = searchUsersPayload.parse({
      data: [wireUser('u-1')],
      paging: { 'total-hits': 1, sort: [null, 'u-1'] },
    });
    expect(last).toMatchObject({ totalHits: 1, sort: [null, 'u-1'] });
    expect(last.next).toBeUndefined();
    const plain = searchUsersPayload.parse([wireUser('u-1'), wireUser('u-2'), wireUser('u-3')]);
    expect(plain.totalHits).toBe(3);
    expect(plain.users).toHaveLength(3);
    expect(plain.next).toBeUndefined();
  });

  it('refuses a batch answer that is not an array of users', () => {
    expect(batchUsersPayload.safeParse({ data: [] }).success).toBe(false);
    expect(batchUsersPayload.safeParse([wireUser('u-1'), { 'user-id': 'u-2' }]).success).toBe(false);
    expect(batchUsersPayload.parse([])).toEqual([]);
  });

  it('maps a token response', () => {
    expect(
      tokenPayload.parse({
        access_token: 'abc',
        token_type: 'bearer',
        expires_in: 600,
        scope: 'users profile',
      }),
    ).toEqual({ accessToken: 'abc', expiresInSec: 600, scopes: ['users', 'profile'] });
    expect(tokenPayload.parse({ access_token: 'abc' })).toEqual({
      accessToken: 'abc',
      expiresInSec: undefined,
      scopes: undefined,
    });
    expect(tokenPayload.safeParse({ access_token: '' }).success).toBe(false);
    expect(tokenPayload.safeParse({ access_token: 'abc', token_type: 'mac' }).success).toBe(false);
  });
});

describe('error bodies', () => {
  it('reads 400 reasons wrapped or bare', () => {
    expect(badInputReasons({ errors: { role: 'invalid-value', foo: 'disallowed-key' } })).toEqual({
      role: 'invalid-value',
      foo: 'disallowed-key',
    });
    expect(badInputReasons({ 'user-email': 'missing-required-key' })).toEqual({
      'user-email': 'missing-required-key',
    });
  });

  it('keeps no free text from a 400 body', () => {
    expect(badInputReasons({ error: 'invalid_request', error_description: 'bad things' })).toEqual({});
    expect(badInputReasons({ errors: { role: 'this has spaces and <b>html</b>', 'bad key!': 'x' } })).toEqual(
      {
        role: 'invalid-value',
      },
    );
    expect(badInputReasons('not json')).toEqual({});
    expect(badInputReasons(undefined)).toEqual({});
  });

  it('reads the scopes of a 403', () => {
    expect(
      forbiddenScopes({
        error: 'missing_scope',
        'missing-scopes': ['users'],
        'required-scopes': ['users'],
        scopes: ['users:read'],
      }),
    ).toEqual({ missing: ['users'], required: ['users'] });
    expect(forbiddenScopes({ error: 'insufficient_role' })).toEqual({ missing: [], required: [] });
    expect(forbiddenScopes(null)).toEqual({ missing: [], required: [] });
  });

  it('reads an OAuth error code only when it looks like one', () => {
    expect(oauthErrorCode({ error: 'invalid_client' })).toBe('invalid_client');
    expect(oauthErrorCode({ error: 'Your secret xyz is wrong' })).toBeUndefined();
  });
});

describe('request mapping', () => {
  it('maps sort fields to the wire', () => {
    expect(
      (['createdAt', 'email', 'name', 'lastLoggedAt', 'role'] as const).map((field) =>
        toWireSortField(field),
      ),
    ).toEqual(['created-at', 'user-email', 'user-name', 'last-logged-at', 'role']);
    expect([1700000000000, 'abc', null].map((v) => toWireSortValue(v))).toEqual([
      '1700000000000',
      'abc',
      'null',
    ]);
  });

  it('maps filters and changes to kebab-case, leaving unset keys out', () => {
    expect(
      toWireFilter({ role: ['admin', 'user'], enabled: false, email: 'a@b.c', idp: 'okta', query: 'ada' }),
    ).toEqual({
      role: ['admin', 'user'],
      'enabled?': false,
      'user-email': 'a@b.c',
      idp: 'okta',
      query: 'ada',
    });
    expect(toWireFilter(undefined)).toEqual({});
    expect(toWireChanges({ role: 'admin', enabled: true, name: 'N', nick: 'n' })).toEqual({
      role: 'admin',
      'enabled?': true,
      'user-name': 'N',
      'user-nick': 'n',
    });
    expect(toWireChanges({ nick: 'n' })).toEqual({ 'user-nick': 'n' });
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(['7'], now)).toBe(7);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
