// The User of the contract, validated and mapped to the domain `User` in one pass over the parsed JSON.
// Written by hand, not as a zod object: this runs for every user of every answer (100 per batch
// call), where zod built two copies of each user (its parsed output, then the mapped one) and cost
// about 1.1 ms per 100 users, 8% of a 100-id operation's CPU (bench/README.md). The rules are the
// contract's, as before: unknown keys dropped, optional keys absent or null, and anything else wrong
// an issue that fails the whole answer. Issues carry the path and the code zod would give, never a
// value (describeIssues), and are reported to zod, so that the schemas around it compose as before.
import { z } from 'zod';
import { isDateTime } from './date-time.js';
import type { IdpMapping, User, UserRole } from './types.js';
import { USER_ROLES } from './types.js';

type Path = (string | number)[];

/** What zod's issue needs here; describeIssues shows `path` and `code` only. */
type Issue =
  | { code: 'invalid_type'; expected: 'object' | 'array' | 'string' | 'boolean'; path: Path }
  | { code: 'invalid_value'; path: Path }
  | { code: 'too_small'; path: Path }
  | { code: 'invalid_union'; path: Path }
  | { code: 'custom'; path: Path };

const ROLES: ReadonlySet<unknown> = new Set(USER_ROLES);

/** Reads one value's fields, recording an issue for each that breaks the contract. */
class Reader {
  constructor(
    private readonly issues: Issue[],
    private readonly record: Record<string, unknown>,
    private readonly path: Path,
  ) {}

  private at(key: string | number, ...more: (string | number)[]): Path {
    return [...this.path, key, ...more];
  }

  string(key: string, nonEmpty = false): string {
    const value = this.record[key];
    if (typeof value !== 'string')
      this.issues.push({ code: 'invalid_type', expected: 'string', path: this.at(key) });
    else if (nonEmpty && value.length === 0) this.issues.push({ code: 'too_small', path: this.at(key) });
    return value as string;
  }

  boolean(key: string): boolean {
    const value = this.record[key];
    if (typeof value !== 'boolean')
      this.issues.push({ code: 'invalid_type', expected: 'boolean', path: this.at(key) });
    return value as boolean;
  }

  dateTime(key: string): string {
    const value = this.string(key);
    if (typeof value === 'string' && !isDateTime(value)) {
      this.issues.push({ code: 'custom', path: this.at(key) });
    }
    return value;
  }

  /** The list itself, not a copy: the parsed JSON is ours alone. */
  strings(key: string): string[] {
    const value = this.record[key];
    if (!Array.isArray(value)) {
      this.issues.push({ code: 'invalid_type', expected: 'array', path: this.at(key) });
      return [];
    }
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== 'string') {
        this.issues.push({ code: 'invalid_type', expected: 'string', path: this.at(key, i) });
      }
    }
    return value as string[];
  }

  /** Absent and null mean the same for an optional key; the domain only knows undefined. */
  has(key: string): boolean {
    const value = this.record[key];
    return value !== undefined && value !== null;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  optionalDateTime(key: string): string | undefined {
    return this.has(key) ? this.dateTime(key) : undefined;
  }

  /** A list the upstream may leave out; the domain always has an array. */
  optionalStrings(key: string): string[] {
    return this.has(key) ? this.strings(key) : [];
  }

  /** The contract says an array of date-times; a lone date-time is accepted too. */
  loginHistory(key: string): string[] {
    const value = this.record[key];
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return isDateTime(value) ? [value] : this.union(key);
    if (!Array.isArray(value)) return this.union(key);
    for (const v of value) if (!isDateTime(v)) return this.union(key);
    return value as string[];
  }

  private union(key: string): string[] {
    this.issues.push({ code: 'invalid_union', path: this.at(key) });
    return [];
  }

  idpMappings(key: string): IdpMapping[] {
    if (!this.has(key)) return [];
    const value = this.record[key];
    if (!Array.isArray(value)) {
      this.issues.push({ code: 'invalid_type', expected: 'array', path: this.at(key) });
      return [];
    }
    const mappings: IdpMapping[] = new Array<IdpMapping>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = readerOf(value[i], this.issues, this.at(key, i));
      if (!item) continue;
      const mapping: IdpMapping = {
        idp: item.string('idp'),
        userIdentityId: item.string('user-identity-id'),
      };
      const organizationId = item.optionalString('organization-id');
      if (organizationId !== undefined) mapping.organizationId = organizationId;
      const ccoId = item.optionalString('cco-id');
      if (ccoId !== undefined) mapping.ccoId = ccoId;
      if (item.has('enabled?')) mapping.enabled = item.boolean('enabled?');
      mappings[i] = mapping;
    }
    return mappings;
  }
}

function readerOf(value: unknown, issues: Issue[], path: Path): Reader | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ code: 'invalid_type', expected: 'object', path });
    return undefined;
  }
  return new Reader(issues, value as Record<string, unknown>, path);
}

/** `value` as a domain User, or undefined with at least one issue recorded. */
export function readUser(value: unknown, issues: Issue[], path: Path = []): User | undefined {
  const known = issues.length;
  const u = readerOf(value, issues, path);
  if (!u) return undefined;
  const role = (value as { role?: unknown }).role;
  if (!ROLES.has(role)) issues.push({ code: 'invalid_value', path: [...path, 'role'] });
  // Keys in the order of the domain type, the optional ones only when sent.
  const user = {
    id: u.string('user-id', true),
    orgId: u.string('org-id', true),
    role: role as UserRole,
    scopes: u.strings('scopes'),
    enabled: u.boolean('enabled?'),
    createdAt: u.dateTime('created-at'),
  } as User;
  const email = u.optionalString('user-email');
  if (email !== undefined) user.email = email;
  const name = u.optionalString('user-name');
  if (name !== undefined) user.name = name;
  const nick = u.optionalString('user-nick');
  if (nick !== undefined) user.nick = nick;
  user.roleIds = u.optionalStrings('role-ids');
  const piam = u.optionalString('piam-custom-role-id');
  if (piam !== undefined) user.piamCustomRoleId = piam;
  user.additionalScopes = u.optionalStrings('additional-scopes');
  for (const [wire, domain] of DATES) {
    const date = u.optionalDateTime(wire);
    if (date !== undefined) user[domain] = date;
  }
  user.lastLoggedAt = u.loginHistory('last-logged-at');
  user.idpMappings = u.idpMappings('idp-mappings');
  user.oldIdpMappings = u.idpMappings('old-idp-mappings');
  return issues.length === known ? user : undefined;
}

const DATES = [
  ['updated-at', 'updatedAt'],
  ['enabled-at', 'enabledAt'],
  ['activated-at', 'activatedAt'],
  ['approved-at', 'approvedAt'],
  ['blocked-at', 'blockedAt'],
] as const;

/** `value` as a list of domain Users, or undefined with at least one issue recorded. */
function readUsers(value: unknown, issues: Issue[]): User[] | undefined {
  if (!Array.isArray(value)) {
    issues.push({ code: 'invalid_type', expected: 'array', path: [] });
    return undefined;
  }
  const users = new Array<User>(value.length);
  for (let i = 0; i < value.length; i++) users[i] = readUser(value[i], issues, [i]) as User;
  return issues.length === 0 ? users : undefined;
}

/** A reader as a zod schema, its issues reported to zod, so that the schemas around it compose. */
function schemaOf<T>(read: (value: unknown, issues: Issue[]) => T | undefined) {
  return z.unknown().transform((value, ctx): T => {
    const issues: Issue[] = [];
    const result = read(value, issues);
    if (issues.length === 0) return result as T;
    for (const issue of issues) {
      ctx.issues.push({ ...issue, input: undefined, message: issue.code } as (typeof ctx.issues)[number]);
    }
    return z.NEVER;
  });
}

/** One User (getUser, updateUser, whoami's user). */
export const userPayload = schemaOf((value, issues) => readUser(value, issues));

/** A JSON array of users: `GET /batch/users`, a search page's `data`. */
export const usersPayload = schemaOf(readUsers);
