import { ScopeError, requireScope } from '../auth/caller.js';
import { auditUpdateUser } from './audit.js';
import { UpstreamBadInputError, UpstreamForbiddenError, UpstreamNotFoundError } from '../upstream/errors.js';
import { primeUsers } from '../loaders.js';
import type { UserChanges } from '../upstream/types.js';
import { builder } from './builder.js';
import { idProblem, loggableId } from './input-checks.js';
import { UserRef } from './user.js';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  constructor(
    message: string,
    readonly missingScopes: string[],
  ) {
    super(message);
  }
}

export interface FieldError {
  path: string[];
  message: string;
}

export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(readonly fields: FieldError[]) {
    super(`Invalid input: ${fields.map((f) => f.path.join('.')).join(', ')}`);
  }
}

const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'A failure the client can branch on.',
  fields: (t) => ({ message: t.exposeString('message', { description: 'What went wrong, for people.' }) }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The user does not exist or is in another organisation.',
  interfaces: [ErrorInterface],
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'The credentials may not make this change.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    missingScopes: t.exposeStringList('missingScopes', {
      description: 'Scopes that would allow it, when the User API named them.',
    }),
  }),
});

const FieldErrorRef = builder.objectRef<FieldError>('FieldError').implement({
  description: 'One bad input field.',
  fields: (t) => ({
    path: t.exposeStringList('path', { description: 'The argument path, e.g. ["input", "role"].' }),
    message: t.exposeString('message', { description: 'Why it was rejected.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was rejected; `fields` says which parts and why.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fields: t.field({ type: [FieldErrorRef], description: 'Each bad field.', resolve: (e) => e.fields }),
  }),
});

const AssignableRoleEnum = builder.enumType('AssignableRole', {
  description: 'Roles that can be given through the User API.',
  values: {
    ADMIN: { value: 'admin' as const, description: 'Organisation administrator.' },
    USER: { value: 'user' as const, description: 'Analyst.' },
  },
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description: 'The fields to change; give at least one. Omitted fields stay as they are.',
  fields: (t) => ({
    role: t.field({ type: AssignableRoleEnum, required: false, description: 'The new role.' }),
    enabled: t.boolean({ required: false, description: 'Enable (true) or disable (false) the user.' }),
    name: t.string({ required: false, description: 'The new display name.' }),
    nick: t.string({ required: false, description: 'The new nickname.' }),
  }),
});

/** Upstream keys → the GraphQL argument path clients sent. Unknown keys point at the whole input. */
const INPUT_PATHS: Record<string, string[]> = {
  role: ['input', 'role'],
  'enabled?': ['input', 'enabled'],
  'user-name': ['input', 'name'],
  'user-nick': ['input', 'nick'],
  'user-id': ['id'],
};

const REASON_MESSAGES: Record<string, string> = {
  'disallowed-key': 'This field cannot be changed',
  'missing-required-key': 'This field is required',
  'invalid-value': 'This value is not allowed',
};

function toFieldErrors(reasons: Record<string, string>): FieldError[] {
  return Object.entries(reasons).map(([key, reason]) => ({
    path: INPUT_PATHS[key] ?? ['input'],
    message:
      key === 'user-id'
        ? 'You cannot demote or disable yourself'
        : (REASON_MESSAGES[reason] ?? 'This value was rejected by the User API'),
  }));
}

builder.mutationField('updateUser', (t) =>
  t.field({
    type: UserRef,
    description: 'Changes a user’s role, enabled state, name or nick. Never retried automatically.',
    args: {
      id: t.arg.id({ required: true, description: 'The user to change.' }),
      input: t.arg({ type: UpdateUserInput, required: true, description: 'What to change.' }),
    },
    errors: {
      types: [NotFoundError, ForbiddenError, ValidationError],
      union: { name: 'UpdateUserResult', description: 'The changed user, or why not.' },
      result: { name: 'UpdateUserSuccess', description: 'The change was made.' },
      dataField: { name: 'user', description: 'The user as it is now.' },
    },
    resolve: (_root, { id, input }, ctx) =>
      auditUpdateUser(ctx, { targetId: loggableId(String(id)), fields: givenFields(input) }, async () => {
        const { api, loaders, calls } = ctx;
        // First of all: a caller who may not write learns nothing else, not even about the input.
        try {
          requireScope(ctx, 'write');
        } catch (error) {
          if (error instanceof ScopeError) {
            throw new ForbiddenError('Your credentials may not change users', [...error.requiredScopes]);
          }
          throw error;
        }
        const changes: UserChanges = {};
        // A malformed id never reaches the upstream (`..` would be a path segment of the change call).
        const idError = idProblem(String(id));
        const invalid: FieldError[] =
          idError === undefined ? [] : [{ path: ['id'], message: `Not a valid user id: ${idError}` }];
        for (const key of ['role', 'enabled', 'name', 'nick'] as const) {
          const value = input[key];
          if (value === null)
            invalid.push({ path: ['input', key], message: 'Omit the field instead of null' });
          else if (value !== undefined) Object.assign(changes, { [key]: value });
        }
        if (invalid.length > 0) throw new ValidationError(invalid);
        if (Object.keys(changes).length === 0) {
          throw new ValidationError([{ path: ['input'], message: 'Give at least one field to change' }]);
        }

        const userId = String(id);
        // Whatever happens next, this request must not serve the user's old values.
        loaders.user.clear(userId);
        try {
          const user = await api.updateUser(userId, changes, calls);
          primeUsers(loaders, [user]);
          return user;
        } catch (error) {
          if (error instanceof UpstreamNotFoundError)
            throw new NotFoundError(`No user ${userId} in this organisation`);
          if (error instanceof UpstreamForbiddenError) {
            throw new ForbiddenError('These credentials may not change users', error.missingScopes);
          }
          if (error instanceof UpstreamBadInputError) throw new ValidationError(toFieldErrors(error.reasons));
          // Not a union member: Yoga's masker (errors.ts) answers it with its code.
          throw error;
        }
      }),
  }),
);

/** The input fields the caller gave (names only: the audit log never holds values). */
function givenFields(input: Record<string, unknown>): string[] {
  return Object.keys(input).filter((key) => input[key] !== undefined);
}
