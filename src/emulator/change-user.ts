import { isPlainObject, validationError } from './http.js';
import type { ValidationErrors } from './http.js';
import { roleIdsFor, scopesFor } from './model.js';
import type { StoredUser } from './model.js';

interface UserChange {
  role?: 'admin' | 'user';
  enabled?: boolean;
  name?: string;
  nick?: string;
}

const MAX_TEXT_LENGTH = 256;
// Control characters in a display name are never intended and break logs and UIs downstream.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function isValidText(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.trim().length > 0 &&
    value.length <= MAX_TEXT_LENGTH &&
    !CONTROL_CHARS.test(value)
  );
}

/** Validates a change-a-user body, reporting every bad key at once. */
export function parseUserChange(body: unknown): UserChange {
  if (body === undefined || (isPlainObject(body) && Object.keys(body).length === 0)) {
    throw validationError({ body: 'missing-required-key' });
  }
  if (!isPlainObject(body)) throw validationError({ body: 'invalid-value' });

  const errors: ValidationErrors = {};
  const change: UserChange = {};
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case 'role':
        if (value === 'admin' || value === 'user') change.role = value;
        else errors[key] = 'invalid-value';
        break;
      case 'enabled?':
        if (typeof value === 'boolean') change.enabled = value;
        else errors[key] = 'invalid-value';
        break;
      case 'user-name':
        if (isValidText(value)) change.name = value;
        else errors[key] = 'invalid-value';
        break;
      case 'user-nick':
        if (isValidText(value)) change.nick = value;
        else errors[key] = 'invalid-value';
        break;
      default:
        errors[key] = 'disallowed-key';
    }
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);
  return change;
}

/** Refuses a change that would lock the caller out of its own admin rights. */
export function checkSelfChange(callerId: string, target: StoredUser, change: UserChange): void {
  if (target['user-id'] !== callerId) return;
  const demotes = change.role !== undefined && change.role !== target.role;
  if (demotes || change.enabled === false) throw validationError({ 'user-id': 'invalid-value' });
}

/**
 * Applies a validated change in place. `updated-at` moves on every successful change; `enabled-at`
 * and `blocked-at` only when `enabled?` actually flips.
 */
export function applyUserChange(user: StoredUser, change: UserChange, now: Date): void {
  const timestamp = now.toISOString();
  if (change.role !== undefined && change.role !== user.role) {
    user.role = change.role;
    user['role-ids'] = roleIdsFor(change.role, user['role-ids']);
    user.scopes = scopesFor(change.role, user['additional-scopes']);
  }
  if (change.enabled !== undefined && change.enabled !== user['enabled?']) {
    user['enabled?'] = change.enabled;
    if (change.enabled) user['enabled-at'] = timestamp;
    else user['blocked-at'] = timestamp;
  }
  if (change.name !== undefined) user['user-name'] = change.name;
  if (change.nick !== undefined) user['user-nick'] = change.nick;
  user['updated-at'] = timestamp;
}
