// Fixed ids, independent of the seed number: the demo credentials, their owners and orgs must stay the
// same for every emulator so docs, GraphiQL examples and tests can name them.

/** Org 1: 1,000 seeded users plus the two demo owners. */
export const ORG_1_ID = '6f1c0a52-1e2b-4c3d-9a4e-000000000001';
/** Org 2: 50 seeded users plus the demo owner. */
export const ORG_2_ID = '6f1c0a52-1e2b-4c3d-9a4e-000000000002';

export const DEMO_OWNER_IDS = {
  /** Org 1, role admin; owns client-demo-admin. */
  org1Admin: 'idb-amp:0d3e5f00-a11c-4e00-8000-000000000001',
  /** Org 1, role user; owns client-demo-readonly. A bare UUID on purpose: both id formats occur. */
  org1Reader: '0d3e5f00-a11c-4e00-8000-000000000002',
  /** Org 2, role admin; owns client-demo-org2. */
  org2Admin: 'idb-amp:0d3e5f00-a11c-4e00-8000-000000000003',
} as const;

export interface DemoClient {
  clientId: string;
  clientSecret: string;
  orgId: string;
  scopes: string[];
  description: string;
  /** The human who owns the API client: whoami's `user` and the caller of change-a-user. */
  ownerUserId: string;
}

/** The API clients the emulator accepts at /iroh/oauth2/token (besides ones added by test controls). */
export const DEMO_CLIENTS: readonly DemoClient[] = [
  {
    clientId: 'client-demo-admin',
    clientSecret: 'demo-admin-secret',
    orgId: ORG_1_ID,
    scopes: ['users', 'profile'],
    description: 'Org 1, read and write; owned by an admin',
    ownerUserId: DEMO_OWNER_IDS.org1Admin,
  },
  {
    clientId: 'client-demo-readonly',
    clientSecret: 'demo-readonly-secret',
    orgId: ORG_1_ID,
    scopes: ['users:read', 'profile:read'],
    description: 'Org 1, read only; owned by a plain user',
    ownerUserId: DEMO_OWNER_IDS.org1Reader,
  },
  {
    clientId: 'client-demo-org2',
    clientSecret: 'demo-org2-secret',
    orgId: ORG_2_ID,
    scopes: ['users', 'profile'],
    description: 'Org 2, read and write; owned by an admin',
    ownerUserId: DEMO_OWNER_IDS.org2Admin,
  },
];
