import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GraphQLError, buildSchema, graphql } from 'graphql';
import { createLogger } from '../../src/logger.js';
import { createApp } from '../../src/server/app.js';
import { CallerTokenRejectedError } from '../../src/upstream/caller-token.js';
import {
  UpstreamBadInputError,
  UpstreamForbiddenError,
  UpstreamMalformedError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  UpstreamUnauthenticatedError,
  UpstreamUnavailableError,
} from '../../src/upstream/errors.js';
import type { UserApi } from '../../src/upstream/user-api.js';
import {
  ERROR_CODES,
  badRequest,
  badUserInput,
  budgetExceeded,
  errorCodeOf,
  limitExceeded,
  maskError,
  payloadTooLarge,
  settleError,
  unauthenticated,
  upstreamUnavailable,
} from '../../src/errors.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * The modules that may spell codes: errors.ts itself, the emulator (the User API's own wire error
 * vocabulary, which is not ours) and generated code.
 */
const EXEMPT = [/^errors\.ts$/, /^emulator\//, /^client\/generated\//];

/** Every .ts module of src/ but the exempt ones, by path relative to src/. */
function sources(): { path: string; text: string }[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .map((path) => path.split('\\').join('/'))
    .filter((path) => path.endsWith('.ts') && !EXEMPT.some((pattern) => pattern.test(path)))
    .sort()
    .map((path) => ({ path, text: readFileSync(join(SRC, path), 'utf8') }));
}

const QUOTED_CODE = new RegExp(`(['"\`])(${ERROR_CODES.join('|')})\\1`, 'g');

/** `path:line CODE` for each quoted member of ERROR_CODES in `text`. */
function quotedCodes(path: string, text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, i) => [...line.matchAll(QUOTED_CODE)].map((match) => `${path}:${i + 1} ${match[2]}`));
}

describe('one error vocabulary', () => {
  it('finds a quoted code in any quotes, and not a code named in prose or in a longer name', () => {
    expect(quotedCodes('x.ts', `code: 'FORBIDDEN'\nc = "BAD_REQUEST"; \`OVERLOADED\``)).toEqual([
      'x.ts:1 FORBIDDEN',
      'x.ts:2 BAD_REQUEST',
      'x.ts:2 OVERLOADED',
    ]);
    expect(
      quotedCodes('x.ts', `// 503 OVERLOADED\nconst FORBIDDEN_IN_ID = 1; 'UPSTREAM_TIMEOUT_MS'`),
    ).toEqual([]);
  });

  it('no module of src/ but errors.ts spells an error code', () => {
    const files = sources();
    // The walk reaches the layers' folders, not only the top of src/.
    expect(files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['server/csrf.ts', 'schema/user.ts', 'auth/authenticate.ts']),
    );
    expect(files.flatMap((file) => quotedCodes(file.path, file.text))).toEqual([]);
  });

  it('no resolver converts errors itself: Yoga’s masker does, through errors.ts', () => {
    const schema = sources().filter((file) => file.path.startsWith('schema/'));
    expect(schema.length).toBeGreaterThan(5);
    expect(schema.filter((file) => /\btoGraphQLError\b/.test(file.text)).map((file) => file.path)).toEqual(
      [],
    );
  });

  it('types the code of GraphQLErrorExtensions as the closed set', () => {
    // @ts-expect-error: a code outside ERROR_CODES does not compile.
    const foreign = new GraphQLError('x', { extensions: { code: 'TEAPOT' } });
    expect(foreign.extensions.code).toBe('TEAPOT');
  });
});

/** What a resolver's error looks like to a client once maskError has seen it. */
async function answered(thrown: unknown) {
  const result = await graphql({
    schema: buildSchema('type Query { a: String b: String }'),
    source: '{ a\n b }',
    rootValue: {
      a: () => 'ok',
      b: () => {
        throw thrown;
      },
    },
  });
  return {
    data: result.data,
    errors: result.errors?.map((error) => {
      const masked = maskError(error, 'Unexpected error.');
      return masked instanceof GraphQLError ? masked.toJSON() : masked;
    }),
  };
}

describe('the conversion of upstream and internal errors (maskError)', () => {
  it.each([
    [
      new UpstreamNotFoundError('getUser', 'no such user'),
      'The user does not exist or is not visible to these credentials',
      { code: 'NOT_FOUND' },
    ],
    [
      new UpstreamBadInputError('updateUser', { role: 'invalid-value' }),
      'The User API rejected the input',
      { code: 'BAD_USER_INPUT' },
    ],
    [
      new CallerTokenRejectedError('caller', 'rejected'),
      'The User API rejected your access token',
      { code: 'UNAUTHENTICATED' },
    ],
    [
      new UpstreamUnauthenticatedError('token', 'bad client secret'),
      'The gateway could not authenticate to the User API; check its client credentials',
      { code: 'UPSTREAM_UNAVAILABLE' },
    ],
    [
      new UpstreamForbiddenError('getUser', ['users:read'], ['users']),
      'The gateway’s API client lacks the scopes for this operation',
      { missingScopes: ['users:read'], code: 'FORBIDDEN' },
    ],
    [
      new UpstreamRateLimitedError('batch', 7),
      'The User API rate limit for this organisation is exhausted',
      { retryAfter: 7, code: 'RATE_LIMITED' },
    ],
    [
      new UpstreamRateLimitedError('batch', undefined),
      'The User API rate limit for this organisation is exhausted',
      { code: 'RATE_LIMITED' },
    ],
    [
      new UpstreamTimeoutError('batch', 'late'),
      'The User API did not answer in time',
      { code: 'UPSTREAM_TIMEOUT' },
    ],
    [
      new UpstreamUnavailableError('batch', 'connect ECONNREFUSED https://upstream.example', 503),
      'The User API is unavailable',
      { code: 'UPSTREAM_UNAVAILABLE' },
    ],
    [
      new UpstreamMalformedError('batch', '<html>'),
      'The User API sent a response the gateway cannot read',
      { code: 'UPSTREAM_INVALID_RESPONSE' },
    ],
  ])('answers %p with its code where it happened', async (thrown, message, extensions) => {
    expect(await answered(thrown)).toEqual({
      data: { a: 'ok', b: null },
      errors: [{ message, locations: [{ line: 2, column: 2 }], path: ['b'], extensions }],
    });
    expect(errorCodeOf(thrown)).toBe(extensions.code);
  });

  it('masks anything else as Yoga does, never with its message', async () => {
    expect(await answered(new Error('connect failed for https://upstream.example?token=secret'))).toEqual({
      data: { a: 'ok', b: null },
      errors: [
        {
          message: 'Unexpected error.',
          locations: [{ line: 2, column: 2 }],
          path: ['b'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true },
        },
      ],
    });
    expect(errorCodeOf(new Error('boom'))).toBe('INTERNAL_SERVER_ERROR');
  });

  it('lets the gateway’s own GraphQL errors through unchanged', async () => {
    const refusal = badRequest('no');
    expect(maskError(refusal, 'Unexpected error.')).toBe(refusal);
    expect((await answered(upstreamUnavailable('down'))).errors).toEqual([
      {
        message: 'down',
        locations: [{ line: 2, column: 2 }],
        path: ['b'],
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      },
    ]);
    expect(errorCodeOf(unauthenticated('who?'))).toBe('UNAUTHENTICATED');
  });
});

describe('factories carry the status of their refusal', () => {
  it.each([
    [badRequest('bad'), { code: 'BAD_REQUEST', http: { status: 400 } }],
    [badRequest('no CSRF header', 403), { code: 'BAD_REQUEST', http: { status: 403 } }],
    [payloadTooLarge(10), { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } }],
    [
      unauthenticated('who?'),
      { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
    ],
    [upstreamUnavailable('IdP down', 503), { code: 'UPSTREAM_UNAVAILABLE', http: { status: 503 } }],
    [
      limitExceeded('deep', 'LIMIT_MAX_DEPTH', 3),
      { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'LIMIT_MAX_DEPTH', max: 3 },
    ],
    [
      limitExceeded('long', 'LIMIT_MAX_TOKENS', 9, 'parse'),
      { code: 'GRAPHQL_PARSE_FAILED', limit: 'LIMIT_MAX_TOKENS', max: 9 },
    ],
    [
      budgetExceeded('many', 'LIMIT_MAX_IDS_PER_OPERATION', 5, 6),
      {
        code: 'BAD_USER_INPUT',
        limit: 'LIMIT_MAX_IDS_PER_OPERATION',
        max: 5,
        requested: 6,
        http: { status: 400 },
      },
    ],
  ])('%p', (error, extensions) => {
    expect(error.extensions).toEqual(extensions);
  });
});

describe('the error contract (settleError)', () => {
  const settled = (error: GraphQLError, hideSuggestions = false) => {
    const result = settleError(error, { hideSuggestions });
    return { message: result.message, extensions: result.extensions };
  };
  // Libraries' errors, whose codes are not ours.
  const foreign = (message: string, extensions: Record<string, unknown>) =>
    new GraphQLError(message, { extensions: extensions as GraphQLError['extensions'] });

  it('keeps an error that complies as it is', () => {
    const error = badUserInput('id is not a valid user id', { argument: 'id' });
    expect(settleError(error, { hideSuggestions: false })).toBe(error);
  });

  it('answers an unknown operation as a malformed request, 400 for every client', () => {
    expect(
      settled(
        foreign('Unknown operation named "x".', {
          code: 'OPERATION_RESOLUTION_FAILURE',
          http: { status: 400, spec: true },
        }),
      ),
    ).toEqual({
      message: 'Unknown operation named "x".',
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    });
  });

  it('answers a limit with 400 for every client', () => {
    expect(settled(limitExceeded('deep', 'LIMIT_MAX_DEPTH', 3))).toEqual({
      message: 'deep',
      extensions: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        limit: 'LIMIT_MAX_DEPTH',
        max: 3,
        http: { status: 400 },
      },
    });
  });

  it('codes a code-less client error BAD_REQUEST, and masks any other', () => {
    expect(settled(foreign('Must provide query string.', { http: { status: 400, spec: true } }))).toEqual({
      message: 'Must provide query string.',
      extensions: { code: 'BAD_REQUEST', http: { status: 400, spec: true } },
    });
    expect(settled(foreign('internal detail', {}))).toEqual({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true },
    });
    expect(errorCodeOf(foreign('internal detail', { code: 'SOMETHING' }))).toBe('INTERNAL_SERVER_ERROR');
  });

  it('drops "Did you mean" when suggestions are hidden', () => {
    const error = foreign('Cannot query field "usr" on type "Query". Did you mean "user"?', {
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
    expect(settled(error, true).message).toBe('Cannot query field "usr" on type "Query".');
    expect(settled(error, false).message).toBe(error.message);
  });
});

describe('through the app: the masker is the only conversion', () => {
  /** An app over a UserApi whose every call fails with `failure()`, and the lines it logs. */
  function appFailingWith(failure: () => Error) {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    const fail = async (): Promise<never> => {
      throw failure();
    };
    const api: UserApi = {
      getUser: fail,
      getUsers: fail,
      searchUsers: fail,
      updateUser: fail,
      whoami: fail,
    };
    const app = createApp({
      apiFor: () => api,
      graphiql: false,
      logger: createLogger({ level: 'info', destination }),
    });
    const post = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await app.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as unknown;
    };
    const lines = () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { post, lines };
  }
  const bugs = (lines: Record<string, unknown>[]) =>
    lines.filter((line) => line['event'] === 'graphql_server' && line['level'] === 50);

  it('codes each _entities representation in its own slot, beside a refused one', async () => {
    const { post, lines } = appFailingWith(() => new UpstreamUnavailableError('batch', 'down', 503));
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }';
    expect(
      await post(query, {
        r: [{ __typename: 'User', id: 'a' }, { __typename: 'Nope' }, { __typename: 'User', id: 'b' }],
      }),
    ).toEqual({
      data: { _entities: [null, null, null] },
      errors: [
        // A refusal comes first: it is known before any lookup settles.
        {
          message: 'representations[1].__typename names no entity type of this subgraph',
          locations: [{ line: 1, column: 24 }],
          path: ['_entities', 1],
          extensions: { argument: 'representations[1].__typename', code: 'BAD_USER_INPUT' },
        },
        {
          message: 'The User API is unavailable',
          locations: [{ line: 1, column: 24 }],
          path: ['_entities', 0],
          extensions: { code: 'UPSTREAM_UNAVAILABLE' },
        },
        {
          message: 'The User API is unavailable',
          locations: [{ line: 1, column: 24 }],
          path: ['_entities', 2],
          extensions: { code: 'UPSTREAM_UNAVAILABLE' },
        },
      ],
    });
    // Expected failures, reported by the upstream layer: not logged as bugs.
    expect(bugs(lines())).toEqual([]);
  });

  it('lets updateUser map its upstream errors to union members, and the masker code the rest', async () => {
    const mutation = 'mutation { updateUser(id: "u1", input: { name: "n" }) { __typename } }';
    const missing = appFailingWith(() => new UpstreamNotFoundError('updateUser', 'gone'));
    expect(await missing.post(mutation)).toEqual({ data: { updateUser: { __typename: 'NotFoundError' } } });

    const late = appFailingWith(() => new UpstreamTimeoutError('updateUser', 'late'));
    expect(await late.post(mutation)).toEqual({
      data: null,
      errors: [
        {
          message: 'The User API did not answer in time',
          locations: [{ line: 1, column: 12 }],
          path: ['updateUser'],
          extensions: { code: 'UPSTREAM_TIMEOUT' },
        },
      ],
    });
    // The audit line names the code the client was answered with.
    expect(late.lines().filter((line) => line['event'] === 'audit.update_user')).toEqual([
      expect.objectContaining({ outcome: 'error', code: 'UPSTREAM_TIMEOUT' }),
    ]);
    expect(bugs(late.lines())).toEqual([]);
  });

  it('masks and logs anything else as a bug', async () => {
    const { post, lines } = appFailingWith(() => new Error('socket hang up at https://upstream.example'));
    expect(await post('{ me { organization { id } } }')).toEqual({
      data: { me: { organization: null } },
      errors: [
        {
          message: 'Unexpected error.',
          locations: [{ line: 1, column: 8 }],
          path: ['me', 'organization'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
    expect(bugs(lines())).toHaveLength(1);
  });
});
