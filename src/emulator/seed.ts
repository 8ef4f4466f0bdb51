import { DEMO_OWNER_IDS, ORG_1_ID, ORG_2_ID } from './demo-clients.js';
import { ROLES, roleIdsFor, scopesFor } from './model.js';
import type { IdpMapping, Role, StoredOrg, StoredUser } from './model.js';
import { chance, createRandom, pick, randomHex, randomInt, randomUuid } from './prng.js';
import type { Random } from './prng.js';

export const DEFAULT_SEED = 20240501;

export interface SeedData {
  orgs: StoredOrg[];
  /**
   * Storage order, which batch results follow: org 1's demo owners, org 1's 1,000 users, org 2's
   * demo owner, org 2's 50 users, each in generation order.
   */
  users: StoredUser[];
}

// Every timestamp derives from these constants and the PRNG, never from the clock, so the same seed
// gives the same bytes on any day.
const CREATED_FROM = Date.parse('2019-01-01T00:00:00.000Z');
const CREATED_TO = Date.parse('2025-01-01T00:00:00.000Z');
const SEED_NOW = Date.parse('2025-06-30T00:00:00.000Z');
const DAY = 86_400_000;

export const SEED_IDPS = ['cisco-secure-x', 'azure-ad', 'okta', 'google'] as const;

// prettier-ignore
const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Bjorn', 'Carmen', 'Chen', 'Dario', 'Deepa', 'Elena', 'Emeka', 'Fatima', 'Felix',
  'Grace', 'Hiro', 'Ines', 'Ivan', 'Jamal', 'Julia', 'Kai', 'Kofi', 'Lars', 'Leila', 'Mateo', 'Mei',
  'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Sofia', 'Tariq', 'Uma', 'Viktor',
  'Wen', 'Xavier', 'Yara', 'Zoe',
];
// prettier-ignore
const LAST_NAMES = [
  'Abara', 'Berg', 'Costa', 'Dubois', 'Eze', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski',
  'Lopez', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quispe', 'Rossi', 'Singh', 'Tanaka', 'Usman',
  'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhang', 'Novak', 'Silva', 'Kim', 'Murphy',
];
const EXTRA_SCOPE_SETS = [['private-intel'], ['sse'], ['enrich:read', 'inspect:read'], ['orbital']];

const iso = (ms: number) => new Date(ms).toISOString();

// The same seed gives the same data, so each is generated once per process and shared deeply frozen:
// a change throws (modules are strict); an emulator's store changes a copy (copy-on-write).
const generated = new Map<number, Readonly<SeedData>>();

/** The seeded orgs and users, generated once per seed number and deeply frozen. */
export function createSeedData(seed: number = DEFAULT_SEED): Readonly<SeedData> {
  let data = generated.get(seed);
  if (!data) {
    data = deepFreeze(generateSeedData(seed));
    generated.set(seed, data);
  }
  return data;
}

/**
 * Takes over data that generateSeedData made for `seed` elsewhere (another process, through JSON), so
 * that a host which loads this module afresh many times (jest, per test file) generates it only once.
 */
export function adoptSeedData(seed: number, data: SeedData): void {
  generated.set(seed, deepFreeze(data));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A fresh generation, never shared: createSeedData's source, and what the determinism test compares. */
export function generateSeedData(seed: number): SeedData {
  const random = createRandom(seed);
  const orgs: StoredOrg[] = [
    {
      id: ORG_1_ID,
      name: 'Acme Corp (demo)',
      'additional-scopes': ['sse'],
      'scim-status': 'activated',
      'activation-status': 'activated',
      'allow-all-role-to-login': true,
      'enabled?': true,
      'created-at': '2018-11-05T09:30:00.000Z',
      'updated-at': '2025-03-14T16:02:11.000Z',
      settings: { 'session-timeout-minutes': 60, 'mfa-required?': true },
    },
    {
      id: ORG_2_ID,
      name: 'Globex (demo)',
      'additional-scopes': [],
      'scim-status': 'waiting-activation',
      'activation-status': 'activated',
      'allow-all-role-to-login': false,
      'enabled?': true,
      'created-at': '2021-02-17T13:00:00.000Z',
      'updated-at': '2024-12-01T08:45:00.000Z',
      settings: { 'session-timeout-minutes': 30, 'mfa-required?': false },
    },
  ];

  const users: StoredUser[] = [
    demoOwner(ORG_1_ID, DEMO_OWNER_IDS.org1Admin, 'admin', 'Ada Admin', 'ada.admin@acme.example'),
    demoOwner(ORG_1_ID, DEMO_OWNER_IDS.org1Reader, 'user', 'Rita Reader', 'rita.reader@acme.example'),
    ...generateOrgUsers(random, ORG_1_ID, 'acme.example', 1000),
    demoOwner(ORG_2_ID, DEMO_OWNER_IDS.org2Admin, 'admin', 'Otto Owner', 'otto.owner@globex.example'),
    ...generateOrgUsers(random, ORG_2_ID, 'globex.example', 50),
  ];
  return { orgs, users };
}

function demoOwner(orgId: string, id: string, role: Role, name: string, email: string): StoredUser {
  const created = '2019-03-01T10:00:00.000Z';
  return {
    'user-id': id,
    'org-id': orgId,
    role,
    scopes: scopesFor(role, []),
    'enabled?': true,
    'created-at': created,
    'user-email': email,
    'user-name': name,
    'user-nick': name.split(' ')[0]?.toLowerCase() ?? name,
    'role-ids': roleIdsFor(role),
    'additional-scopes': [],
    'updated-at': '2024-06-01T12:00:00.000Z',
    'enabled-at': created,
    'activated-at': created,
    'approved-at': created,
    'last-logged-at': ['2025-06-20T08:15:00.000Z', '2025-06-27T17:40:00.000Z'],
    'idp-mappings': [{ idp: 'cisco-secure-x', 'user-identity-id': email, 'enabled?': true }],
  };
}

function generateOrgUsers(random: Random, orgId: string, domain: string, count: number): StoredUser[] {
  const azureTenant = randomUuid(random);
  const scimGroups = [randomUuid(random), randomUuid(random), randomUuid(random)];
  const takenEmails = new Set<string>();
  const users: StoredUser[] = [];
  for (let i = 0; i < count; i++) {
    // The first five cycle through every role so even a small org has each one.
    const role: Role =
      i < ROLES.length
        ? (ROLES[i] ?? 'user')
        : pick(random, ['user', 'user', 'user', 'user', 'user', 'admin', 'bare', 'sat', 'master'] as const);
    const enabled = i === ROLES.length ? false : !chance(random, 0.1);
    const uuid = randomUuid(random);
    const id = chance(random, 0.65) ? `idb-amp:${uuid}` : uuid;
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);

    let local = `${first}.${last}`.toLowerCase();
    for (let n = 2; takenEmails.has(local); n++) local = `${first}.${last}${n}`.toLowerCase();
    takenEmails.add(local);
    // A few mixed-case addresses, so exact-but-case-insensitive email matching is exercised.
    const mixedCase = chance(random, 0.05);
    const email = chance(random, 0.02)
      ? undefined
      : mixedCase
        ? `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`
        : `${local}@${domain}`;
    const name = chance(random, 0.02) ? undefined : `${first} ${last}`;
    const nick = chance(random, 0.8) ? `${first.toLowerCase()}${randomInt(random, 1, 99)}` : undefined;

    const created = randomInt(random, CREATED_FROM, CREATED_TO);
    const activated = created + randomInt(random, 60_000, 3 * DAY);
    const blocked = enabled ? undefined : randomInt(random, activated, SEED_NOW - DAY);
    const loginCeiling = blocked ?? SEED_NOW;
    const loginCount = chance(random, 0.2) ? 0 : randomInt(random, 1, 6);
    const logins = Array.from({ length: loginCount }, () => randomInt(random, activated, loginCeiling)).sort(
      (a, b) => a - b,
    );
    const updated = Math.max(activated, blocked ?? 0, randomInt(random, created, SEED_NOW));

    const customRole = chance(random, 0.05) ? randomUuid(random) : undefined;
    const additionalScopes = chance(random, 0.08) ? [...pick(random, EXTRA_SCOPE_SETS)] : [];
    const mappings = idpMappings(random, email ?? `${local}@${domain}`, azureTenant);

    const user: StoredUser = {
      'user-id': id,
      'org-id': orgId,
      role,
      scopes: scopesFor(role, additionalScopes),
      'enabled?': enabled,
      'created-at': iso(created),
      'role-ids': customRole ? [role, customRole] : [role],
      'additional-scopes': additionalScopes,
      'updated-at': iso(updated),
      'enabled-at': iso(activated),
      'activated-at': iso(activated),
      'approved-at': iso(activated),
      'last-logged-at': logins.map(iso),
      'idp-mappings': mappings,
    };
    if (email !== undefined) user['user-email'] = email;
    if (name !== undefined) user['user-name'] = name;
    if (nick !== undefined) user['user-nick'] = nick;
    if (customRole) user['piam-custom-role-id'] = customRole;
    if (blocked !== undefined) user['blocked-at'] = iso(blocked);
    if (chance(random, 0.08)) {
      user['old-idp-mappings'] = [
        { idp: 'cisco-secure-x', 'user-identity-id': `old-${local}`, 'enabled?': false },
      ];
    }
    if (chance(random, 0.1)) {
      user.scim = { id: randomUuid(random), 'group-id': pick(random, scimGroups) };
      // Only some SCIM links carry a token; the gateway must never pass it on.
      if (chance(random, 0.35)) user.scim['access-token'] = `scim-${randomHex(random, 40)}`;
    }
    users.push(user);
  }
  return users;
}

function idpMappings(random: Random, email: string, azureTenant: string): IdpMapping[] {
  const roll = random();
  const count = roll < 0.1 ? 0 : roll < 0.8 ? 1 : 2;
  const idps = [...SEED_IDPS];
  const mappings: IdpMapping[] = [];
  for (let k = 0; k < count; k++) {
    const idp = idps.splice(randomInt(random, 0, idps.length - 1), 1)[0] ?? 'okta';
    const enabled = !chance(random, 0.05);
    switch (idp) {
      case 'cisco-secure-x':
        mappings.push({
          idp,
          'user-identity-id': email,
          'cco-id': email.split('@')[0] ?? email,
          'enabled?': enabled,
        });
        break;
      case 'azure-ad':
        mappings.push({
          idp,
          'user-identity-id': randomUuid(random),
          'organization-id': azureTenant,
          'enabled?': enabled,
        });
        break;
      case 'okta':
        mappings.push({ idp, 'user-identity-id': `00u${randomHex(random, 17)}`, 'enabled?': enabled });
        break;
      default:
        mappings.push({
          idp,
          'user-identity-id': String(randomInt(random, 100_000_000, 999_999_999)),
          'enabled?': enabled,
        });
    }
  }
  return mappings;
}

let defaultExamples: { userId: string; userIds: string[]; updateUserId: string } | undefined;

/** Org-1 ids from the default seed, for GraphiQL's example operations in the default mode. */
export function exampleUserIds(): { userId: string; userIds: string[]; updateUserId: string } {
  if (!defaultExamples) {
    const generated = createSeedData().users.filter(
      (u) => u['org-id'] === ORG_1_ID && !Object.values(DEMO_OWNER_IDS).includes(u['user-id'] as never),
    );
    const ids = generated.map((u) => u['user-id']);
    const plainUser = generated.find((u) => u.role === 'user' && u['enabled?']);
    defaultExamples = {
      userId: ids[0] ?? DEMO_OWNER_IDS.org1Admin,
      userIds: ids.slice(0, 3),
      updateUserId: plainUser?.['user-id'] ?? DEMO_OWNER_IDS.org1Reader,
    };
  }
  return structuredClone(defaultExamples);
}
