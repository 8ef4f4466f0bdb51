import type { ClientRegistry } from './clients.js';
import { isPlainObject, readJsonBody, sendJson, validationError } from './http.js';
import type { ValidationErrors } from './http.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Route } from './routes.js';
import type { UserStore } from './store.js';
import { parseFaultSpec } from './test-controls.js';
import type { TestControls } from './test-controls.js';

/** Under /__emulator/, a prefix the real API does not have; mounted only when testControls is on. */
export function createControlRoutes(deps: {
  controls: TestControls;
  limiter: RateLimiter;
  clients: ClientRegistry;
  store: UserStore;
}): Route[] {
  const { controls, limiter, clients, store } = deps;
  return [
    {
      path: /^\/__emulator\/stats$/,
      methods: {
        GET: { handle: async (ctx) => sendJson(ctx.res, 200, controls.stats()) },
      },
    },
    {
      path: /^\/__emulator\/stats\/reset$/,
      methods: {
        POST: {
          async handle(ctx) {
            controls.resetStats();
            sendJson(ctx.res, 200, controls.stats());
          },
        },
      },
    },
    {
      path: /^\/__emulator\/faults$/,
      methods: {
        GET: { handle: async (ctx) => sendJson(ctx.res, 200, { faults: controls.listFaults() }) },
        POST: {
          async handle(ctx) {
            const fault = parseFaultSpec(await readJsonBody(ctx.req, ctx.traceId));
            controls.addFault(fault);
            sendJson(ctx.res, 201, fault);
          },
        },
        DELETE: {
          handle: async (ctx) => sendJson(ctx.res, 200, { cleared: controls.clearFaults() }),
        },
      },
    },
    {
      path: /^\/__emulator\/rate-limit\/reset$/,
      methods: {
        POST: {
          async handle(ctx) {
            limiter.reset();
            sendJson(ctx.res, 200, { reset: true });
          },
        },
      },
    },
    {
      // Extra API clients for tests that need a caller the demo clients cannot be, e.g. a `users`
      // scope owned by a non-admin.
      path: /^\/__emulator\/clients$/,
      methods: {
        POST: {
          async handle(ctx) {
            const body = await readJsonBody(ctx.req, ctx.traceId);
            if (!isPlainObject(body)) throw validationError({ body: 'invalid-value' });
            const errors: ValidationErrors = {};
            const text = (key: string) => {
              const value = body[key];
              if (typeof value !== 'string' || value.length === 0) errors[key] = 'invalid-value';
              return String(value);
            };
            const clientId = text('clientId');
            const clientSecret = text('clientSecret');
            const ownerUserId = text('ownerUserId');
            const scopes = body.scopes;
            if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
              errors.scopes = 'invalid-value';
            }
            const owner = store.findUserInAnyOrg(ownerUserId);
            if (!errors.ownerUserId && !owner) errors.ownerUserId = 'invalid-value';
            if (!errors.clientId && clients.find(clientId)) errors.clientId = 'invalid-value';
            if (Object.keys(errors).length > 0 || !owner) throw validationError(errors);
            const client = {
              clientId,
              clientSecret,
              ownerUserId,
              orgId: owner['org-id'],
              scopes: scopes as string[],
            };
            clients.add(client);
            sendJson(ctx.res, 201, { clientId, orgId: client.orgId, ownerUserId, scopes: client.scopes });
          },
        },
      },
    },
  ];
}
