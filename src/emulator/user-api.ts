import { applyUserChange, checkSelfChange, parseUserChange } from './change-user.js';
import type { ClientRegistry } from './clients.js';
import { HttpError, readBody, readJsonBody, sendJson, validationError } from './http.js';
import { presentOrg, presentUser } from './model.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RequestContext, Route } from './routes.js';
import { searchUsers } from './search.js';
import type { UserStore } from './store.js';
import type { Principal, TokenService } from './tokens.js';

export const MAX_BATCH_IDS = 100;

// The contract's (decided) scope rules: any listed scope grants the route. The first one is the
// least privileged, and is what a 403 reports as required.
const READ_USERS = ['users:read', 'users', 'admin'];
const WRITE_USERS = ['users', 'admin'];
const READ_PROFILE = ['profile:read', 'profile'];

interface Deps {
  store: UserStore;
  tokens: TokenService;
  limiter: RateLimiter;
  clients: ClientRegistry;
  /** Epoch milliseconds, for change timestamps and the rate limit's window. */
  clock: () => number;
}

/** The token endpoint, the JWKS and the five User API routes. */
export function createUserApiRoutes({ store, tokens, limiter, clients, clock }: Deps): Route[] {
  /** Authentication, then the org's rate limit: every authenticated API call spends quota, even a 403. */
  async function authenticate(ctx: RequestContext): Promise<Principal> {
    const match = /^Bearer +([^\s]+) *$/i.exec(ctx.req.headers.authorization ?? '');
    const token = match?.[1];
    if (token === undefined) {
      throw new HttpError(
        401,
        {
          error: 'invalid_request',
          error_description: 'an Authorization: Bearer <access token> header is required',
          trace_id: ctx.traceId,
        },
        { 'www-authenticate': 'Bearer realm="iroh"' },
      );
    }
    const result = await tokens.verify(token);
    if (!result.ok) {
      throw new HttpError(
        401,
        { error: 'invalid_token', error_description: result.reason, trace_id: ctx.traceId },
        { 'www-authenticate': 'Bearer realm="iroh", error="invalid_token"' },
      );
    }
    const decision = limiter.take(result.principal.orgId, clock());
    if (!decision.allowed) {
      throw new HttpError(
        429,
        {
          error: 'too_many_requests',
          error_description: `the organisation's quota of ${limiter.quota} requests per window is used up`,
        },
        { 'retry-after': decision.retryAfterSec, 'x-ratelimit-org-limit': limiter.quota },
      );
    }
    return result.principal;
  }

  function requireScope(ctx: RequestContext, principal: Principal, accepted: readonly string[]): void {
    if (accepted.some((scope) => principal.scopes.includes(scope))) return;
    const required = accepted.slice(0, 1);
    throw new HttpError(403, {
      error: 'missing_scope',
      error_description: `this route needs one of the scopes: ${accepted.join(', ')}`,
      'missing-scopes': required,
      'required-scopes': required,
      scopes: principal.scopes,
      'user-id': principal.userId,
      'org-id': principal.orgId,
      trace_id: ctx.traceId,
    });
  }

  function decodeUserId(raw: string): string {
    try {
      return decodeURIComponent(raw);
    } catch {
      throw validationError({ 'user-id': 'invalid-value' });
    }
  }

  function notFound(ctx: RequestContext, userId: string): HttpError {
    return new HttpError(404, {
      error: 'not_found',
      error_description: `no user ${userId} in this organisation`,
      trace_id: ctx.traceId,
    });
  }

  return [
    {
      path: /^\/iroh\/oauth2\/token$/,
      methods: {
        POST: {
          name: 'token',
          async handle(ctx) {
            const raw = await readBody(ctx.req, ctx.traceId);
            // Credentials are checked before the body, so a bad secret is always a 401, never a 400.
            const credentials = basicCredentials(ctx.req.headers.authorization);
            const client = credentials && clients.find(credentials.id);
            if (!client || client.clientSecret !== credentials?.secret) {
              throw new HttpError(
                401,
                { error: 'invalid_client', error_description: 'unknown client id or wrong client secret' },
                { 'www-authenticate': 'Basic realm="iroh"' },
              );
            }
            const mediaType = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
            if (mediaType !== 'application/x-www-form-urlencoded') {
              throw new HttpError(400, {
                error: 'invalid_request',
                error_description: 'send the body as application/x-www-form-urlencoded',
              });
            }
            const grant = new URLSearchParams(raw.toString('utf8')).get('grant_type');
            if (!grant) {
              throw new HttpError(400, {
                error: 'invalid_request',
                error_description: 'grant_type is required',
              });
            }
            if (grant !== 'client_credentials') {
              throw new HttpError(400, {
                error: 'unsupported_grant_type',
                error_description: 'only grant_type=client_credentials is supported',
              });
            }
            const issued = await tokens.issue({
              clientId: client.clientId,
              userId: client.ownerUserId,
              orgId: client.orgId,
              scopes: client.scopes,
            });
            sendJson(
              ctx.res,
              200,
              {
                access_token: issued.accessToken,
                token_type: 'bearer',
                expires_in: issued.expiresIn,
                scope: client.scopes.join(' '),
              },
              { 'cache-control': 'no-store', pragma: 'no-cache' },
            );
          },
        },
      },
    },
    {
      path: /^\/\.well-known\/jwks$/,
      methods: {
        GET: {
          async handle(ctx) {
            sendJson(ctx.res, 200, tokens.jwks());
          },
        },
      },
    },
    {
      path: /^\/iroh\/profile\/whoami$/,
      methods: {
        GET: {
          name: 'whoami',
          async handle(ctx) {
            const principal = await authenticate(ctx);
            requireScope(ctx, principal, READ_PROFILE);
            const user = store.getUser(principal.orgId, principal.userId);
            const org = store.getOrg(principal.orgId);
            if (!user || !org) throw new Error('a token names an owner or org the store does not have');
            sendJson(ctx.res, 200, { user: presentUser(user), org: presentOrg(org) });
          },
        },
      },
    },
    {
      path: /^\/iroh\/user-mgmt\/users\/([^/]+)$/,
      methods: {
        GET: {
          name: 'getUser',
          async handle(ctx, [rawId = '']) {
            const principal = await authenticate(ctx);
            requireScope(ctx, principal, READ_USERS);
            const userId = decodeUserId(rawId);
            const user = store.getUser(principal.orgId, userId);
            if (!user) throw notFound(ctx, userId);
            sendJson(ctx.res, 200, presentUser(user));
          },
        },
        POST: {
          name: 'changeUser',
          async handle(ctx, [rawId = '']) {
            const principal = await authenticate(ctx);
            requireScope(ctx, principal, WRITE_USERS);
            // The decided contract also requires an admin caller. We answer 403 in the style of the
            // missing-scope body (error, description, who, trace), with the role in place of the scopes.
            // The owner's current role counts, so demoting an owner takes effect on their next call.
            const caller = store.getUser(principal.orgId, principal.userId);
            if (caller?.role !== 'admin') {
              throw new HttpError(403, {
                error: 'insufficient_role',
                error_description: 'changing a user requires a caller whose role is admin',
                'required-role': 'admin',
                role: caller?.role ?? null,
                'user-id': principal.userId,
                'org-id': principal.orgId,
                trace_id: ctx.traceId,
              });
            }
            const userId = decodeUserId(rawId);
            const change = parseUserChange(await readJsonBody(ctx.req, ctx.traceId));
            const target = store.getUser(principal.orgId, userId);
            if (!target) throw notFound(ctx, userId);
            checkSelfChange(principal.userId, target, change);
            const changed = store.change(principal.orgId, userId, (user) =>
              applyUserChange(user, change, new Date(clock())),
            );
            if (!changed) throw notFound(ctx, userId);
            sendJson(ctx.res, 200, presentUser(changed));
          },
        },
      },
    },
    {
      path: /^\/iroh\/user-mgmt\/batch\/users$/,
      methods: {
        GET: {
          name: 'batchUsers',
          async handle(ctx) {
            const principal = await authenticate(ctx);
            requireScope(ctx, principal, READ_USERS);
            const ids = ctx.url.searchParams.getAll('id');
            if (ids.length === 0) throw validationError({ id: 'missing-required-key' });
            if (ids.length > MAX_BATCH_IDS) throw validationError({ id: 'invalid-value' });
            const users = [...new Set(ids)]
              .map((id) => store.getUser(principal.orgId, id))
              .filter((user) => user !== undefined)
              .sort((a, b) => store.position(a['user-id']) - store.position(b['user-id']));
            sendJson(ctx.res, 200, users.map(presentUser));
          },
        },
      },
    },
    {
      path: /^\/iroh\/user-mgmt\/search\/users$/,
      methods: {
        POST: {
          name: 'searchUsers',
          async handle(ctx) {
            const principal = await authenticate(ctx);
            requireScope(ctx, principal, READ_USERS);
            const body = await readJsonBody(ctx.req, ctx.traceId);
            sendJson(ctx.res, 200, searchUsers(store.listOrg(principal.orgId), body, ctx.url.searchParams));
          },
        },
      },
    },
  ];
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
