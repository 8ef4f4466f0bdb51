import type { Caller } from '../auth/caller.js';
import { errorCodeOf, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

export type AuditOutcome = 'success' | 'not_found' | 'forbidden' | 'invalid' | 'error';

/**
 * One line per updateUser attempt; field names only, never values. The time is the log line's own
 * `time` (pino's timestamp), not a second field of the same name.
 */
export interface UpdateUserAuditEvent {
  event: 'audit.update_user';
  requestId: string;
  caller: Pick<Caller, 'kind' | 'subject' | 'clientId' | 'orgId'>;
  targetId: string;
  fields: string[];
  outcome: AuditOutcome;
  /** For outcome "error": the error code the client saw. */
  code?: ErrorCode;
}

export interface AuditScope {
  caller: Caller;
  requestId: string;
  logger: Logger;
}

// By name, not class: the union members live in the schema, which imports this module.
const OUTCOMES: Record<string, AuditOutcome> = {
  NotFoundError: 'not_found',
  ForbiddenError: 'forbidden',
  ValidationError: 'invalid',
};

/** Runs one updateUser attempt and logs its audit event, whatever the outcome. */
export async function auditUpdateUser<T>(
  ctx: AuditScope,
  attempt: { targetId: string; fields: string[] },
  run: () => Promise<T>,
): Promise<T> {
  const { kind, subject, clientId, orgId } = ctx.caller;
  const log = (outcome: AuditOutcome, code?: ErrorCode) => {
    const event: UpdateUserAuditEvent = {
      event: 'audit.update_user',
      requestId: ctx.requestId,
      caller: { kind, subject, ...(clientId ? { clientId } : {}), ...(orgId ? { orgId } : {}) },
      targetId: attempt.targetId,
      fields: attempt.fields,
      outcome,
      ...(code ? { code } : {}),
    };
    ctx.logger.info(event, 'updateUser attempt');
  };
  try {
    const result = await run();
    log('success');
    return result;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const outcome = OUTCOMES[name];
    if (outcome) log(outcome);
    // Upstream failures reach here unconverted: Yoga's masker converts them on the way out.
    else log('error', errorCodeOf(error));
    throw error;
  }
}
