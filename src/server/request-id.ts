import { randomUUID } from 'node:crypto';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is short and plain (it ends up in logs), else a new UUID. */
export function requestIdOf(request: Request): string {
  // Remembered per request: the context, the logs and the echoed response header must agree.
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get('x-request-id');
    id = given !== null && SANE.test(given) ? given : randomUUID();
    ids.set(request, id);
  }
  return id;
}

const ids = new WeakMap<Request, string>();
