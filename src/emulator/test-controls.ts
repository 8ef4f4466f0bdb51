import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPlainObject, sendJson, sendRaw, sleep, validationError } from './http.js';
import type { ValidationErrors } from './http.js';

export const ROUTE_NAMES = ['token', 'getUser', 'batchUsers', 'searchUsers', 'changeUser', 'whoami'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export const FAULT_MODES = ['hang', 'reset', 'malformed', 'html'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** The body of `POST /__emulator/faults`. */
export interface FaultSpec {
  route: RouteName | '*';
  /** Answer with this status (400–599) and a contract-shaped error body. */
  status?: number;
  /** Wait this long first; then answer normally, or with `status` / `mode` when given too. */
  delayMs?: number;
  mode?: FaultMode;
  /** How many matching requests the fault affects; absent = until cleared. */
  times?: number;
}

/** The body of `GET /__emulator/stats`. */
export interface EmulatorStats {
  calls: Record<RouteName, number>;
  /** The number of `id` parameters of each batch call, in arrival order. */
  batchSizes: number[];
}

export interface TestControls {
  record(route: RouteName, url: URL): void;
  stats(): EmulatorStats;
  resetStats(): void;
  /** The first active fault for the route, in the order they were added; consumes one of its `times`. */
  takeFault(route: RouteName): FaultSpec | undefined;
  addFault(fault: FaultSpec): void;
  listFaults(): FaultSpec[];
  clearFaults(): number;
}

export function createTestControls(): TestControls {
  const zero = () => Object.fromEntries(ROUTE_NAMES.map((name) => [name, 0])) as Record<RouteName, number>;
  let calls = zero();
  let batchSizes: number[] = [];
  let faults: { spec: FaultSpec; remaining: number }[] = [];

  return {
    record(route, url) {
      calls[route]++;
      if (route === 'batchUsers') batchSizes.push(url.searchParams.getAll('id').length);
    },
    stats: () => ({ calls: { ...calls }, batchSizes: [...batchSizes] }),
    resetStats() {
      calls = zero();
      batchSizes = [];
    },
    takeFault(route) {
      const active = faults.find((f) => f.spec.route === '*' || f.spec.route === route);
      if (!active) return undefined;
      active.remaining--;
      if (active.remaining <= 0) faults = faults.filter((f) => f !== active);
      return active.spec;
    },
    addFault(spec) {
      faults.push({ spec, remaining: spec.times ?? Number.POSITIVE_INFINITY });
    },
    listFaults: () => faults.map((f) => structuredClone(f.spec)),
    clearFaults() {
      const count = faults.length;
      faults = [];
      return count;
    },
  };
}

const MAX_DELAY_MS = 600_000;

export function parseFaultSpec(body: unknown): FaultSpec {
  if (!isPlainObject(body)) throw validationError({ body: 'invalid-value' });
  const errors: ValidationErrors = {};
  const isInt = (v: unknown, min: number, max: number) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  for (const key of Object.keys(body)) {
    if (!['route', 'status', 'delayMs', 'mode', 'times'].includes(key)) errors[key] = 'disallowed-key';
  }
  const { route, status, delayMs, mode, times } = body;
  if (route === undefined) errors.route = 'missing-required-key';
  else if (route !== '*' && !(ROUTE_NAMES as readonly unknown[]).includes(route))
    errors.route = 'invalid-value';
  if (status !== undefined && !isInt(status, 400, 599)) errors.status = 'invalid-value';
  if (delayMs !== undefined && !isInt(delayMs, 0, MAX_DELAY_MS)) errors.delayMs = 'invalid-value';
  if (mode !== undefined && !(FAULT_MODES as readonly unknown[]).includes(mode))
    errors.mode = 'invalid-value';
  // A mode already decides the answer; a status beside it would be silently ignored.
  if (mode !== undefined && status !== undefined) errors.status = 'invalid-value';
  if (times !== undefined && !isInt(times, 1, Number.MAX_SAFE_INTEGER)) errors.times = 'invalid-value';
  if (status === undefined && delayMs === undefined && mode === undefined)
    errors.mode = 'missing-required-key';
  if (Object.keys(errors).length > 0) throw validationError(errors);

  const spec: FaultSpec = { route: route as FaultSpec['route'] };
  if (status !== undefined) spec.status = status as number;
  if (delayMs !== undefined) spec.delayMs = delayMs as number;
  if (mode !== undefined) spec.mode = mode as FaultMode;
  if (times !== undefined) spec.times = times as number;
  return spec;
}

function faultBody(
  route: RouteName,
  status: number,
  traceId: string,
  quota: number,
): { body: unknown; headers: Record<string, string | number> } {
  const description = `injected fault (${status})`;
  if (route === 'token' && (status === 400 || status === 401)) {
    return {
      body: { error: status === 400 ? 'invalid_request' : 'invalid_client', error_description: description },
      headers: {},
    };
  }
  switch (status) {
    case 400:
      return { body: { errors: { fault: 'invalid-value' } }, headers: {} };
    case 401:
      return {
        body: { error: 'invalid_token', error_description: description, trace_id: traceId },
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      };
    case 403:
      return {
        body: {
          error: 'missing_scope',
          error_description: description,
          'missing-scopes': [],
          'required-scopes': [],
          scopes: [],
          trace_id: traceId,
        },
        headers: {},
      };
    case 404:
      return { body: { error: 'not_found', error_description: description, trace_id: traceId }, headers: {} };
    case 429:
      return {
        body: { error: 'too_many_requests', error_description: description },
        headers: { 'retry-after': 1, 'x-ratelimit-org-limit': quota },
      };
    default:
      return {
        body: {
          error: status >= 500 ? 'unknown-exception' : 'injected_fault',
          error_description: description,
          trace_id: traceId,
        },
        headers: {},
      };
  }
}

/**
 * Acts out a fault. Returns false when the request should go on normally (a delay-only fault).
 * A hang leaves the response open: the client's timeout or the emulator's close ends it.
 */
export async function actOutFault(
  fault: FaultSpec,
  ctx: {
    route: RouteName;
    req: IncomingMessage;
    res: ServerResponse;
    traceId: string;
    quota: number;
    signal: AbortSignal;
  },
): Promise<boolean> {
  if (fault.delayMs) await sleep(fault.delayMs, ctx.signal);
  switch (fault.mode) {
    case 'hang':
      return true;
    case 'reset':
      ctx.req.socket.resetAndDestroy();
      return true;
    case 'malformed':
      sendRaw(ctx.res, 200, 'application/json', '{"data": [{"user-id": "idb-amp:3f2a', {});
      return true;
    case 'html':
      sendRaw(
        ctx.res,
        200,
        'text/html; charset=utf-8',
        '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
      );
      return true;
    case undefined:
      break;
  }
  if (fault.status === undefined) return false;
  const { body, headers } = faultBody(ctx.route, fault.status, ctx.traceId, ctx.quota);
  sendJson(ctx.res, fault.status, body, headers);
  return true;
}
