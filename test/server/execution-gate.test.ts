// MAX_CONCURRENT_IDS: operations enter execution while the users they may hold fit, beside those of
// the operations executing. A fake User API holds every batch call until the test lets it go, so that
// what executes at once is what the gate admits; the app is driven in-process through its fetch.
import { createApp } from '../../src/server/app.js';
import { EXECUTION_OVERLOADED_MESSAGE } from '../../src/server/execution-gate.js';
import type { User } from '../../src/upstream/types.js';
import type { UserApi } from '../../src/upstream/user-api.js';
import { fetchOf } from '../support/gateway.js';
import { GRAPHQL_RESPONSE, postJson } from '../support/http.js';
import { fakeUser } from '../support/users.js';
import { until } from '../support/wait.js';

const ORG = 'org-1';
const URL = 'http://gateway.test/graphql';
/** `n` distinct, well-formed user ids of block `block`. */
const idsOf = (block: number, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `idb-amp:0d3e5f00-a11c-4e00-8000-${String(block * 1000 + i).padStart(12, '0')}`,
  );

/** Batch calls the fake API holds, in the order they were made. */
let held: { ids: readonly string[]; answer(): void }[] = [];
const unsupported = () => Promise.reject(new Error('not used by these tests'));
const api: UserApi = {
  getUsers: (ids) =>
    new Promise<(User | null)[]>((resolve) => {
      held.push({ ids, answer: () => resolve(ids.map((id) => fakeUser(id, ORG))) });
    }),
  getUser: unsupported,
  searchUsers: unsupported,
  updateUser: unsupported,
  whoami: unsupported,
};
beforeEach(() => {
  held = [];
});
/** Answers every batch call held so far. */
const answerAll = () => held.forEach((call) => call.answer());
const callsFor = (ids: readonly string[]) => held.filter((call) => call.ids.includes(ids[0] as string));

function gatewayWith(queueTimeoutMs: number) {
  const fetch = fetchOf(
    createApp({ apiFor: () => api, graphiql: false, execution: { maxConcurrentIds: 150, queueTimeoutMs } }),
  );
  return async (ids: readonly string[], signal?: AbortSignal) => {
    const response = await postJson(
      URL,
      { query: 'query ($ids: [ID!]!) { users(ids: $ids) { id } }', variables: { ids } },
      GRAPHQL_RESPONSE,
      (input, init) => fetch(input, { ...init, signal }),
    );
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { data?: unknown; errors?: unknown[] },
    };
  };
}

const OVERLOADED = {
  status: 503,
  retryAfter: '1',
  body: { errors: [{ message: EXECUTION_OVERLOADED_MESSAGE, extensions: { code: 'OVERLOADED' } }] },
};
const dataOf = (ids: readonly string[]) => ({
  status: 200,
  retryAfter: null,
  body: { data: { users: ids.map((id) => ({ id })) } },
});

it('weighs operations by their users: 100 ids and 50 single lookups run at once, the 51st does not', async () => {
  const ask = gatewayWith(0);
  const hundred = idsOf(1, 100);
  const singles = idsOf(2, 52).map((id) => [id]);
  const big = ask(hundred);
  const fifty = singles.slice(0, 50).map((ids) => ask(ids));
  await until(() => held.length === 51);

  // Full: one more user, or a hundred, is refused at once, before any upstream call.
  expect(await ask(singles[50] as string[])).toEqual(OVERLOADED);
  expect(await ask(idsOf(3, 100))).toEqual(OVERLOADED);
  expect(held).toHaveLength(51);

  answerAll();
  expect(await big).toEqual(dataOf(hundred));
  expect(await Promise.all(fifty)).toEqual(singles.slice(0, 50).map(dataOf));
  // Their users given back, the gate has room for 150 again.
  const after = [ask(idsOf(4, 100)), ask(singles[51] as string[]), ask(idsOf(5, 49))];
  await until(() => held.length === 54);
  answerAll();
  expect((await Promise.all(after)).map((answer) => answer.status)).toEqual([200, 200, 200]);
});

it('an operation that does not fit waits, and runs as soon as the users before it are given back', async () => {
  const ask = gatewayWith(10_000);
  const [first, second] = [idsOf(1, 100), idsOf(2, 100)];
  const one = ask(first);
  await until(() => held.length === 1);
  let firstAnswered = false;
  const two = ask(second);
  // The second waits at the gate however long the first holds its users.
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(callsFor(second)).toHaveLength(0);

  firstAnswered = true;
  answerAll();
  expect(await one).toEqual(dataOf(first));
  await until(() => callsFor(second).length === 1);
  expect(firstAnswered).toBe(true);
  answerAll();
  expect(await two).toEqual(dataOf(second));
});

it('a wait past SERVER_QUEUE_TIMEOUT_MS is refused with 503 OVERLOADED and no upstream call', async () => {
  const ask = gatewayWith(200);
  const [first, second] = [idsOf(1, 100), idsOf(2, 100)];
  const one = ask(first);
  await until(() => held.length === 1);
  expect(await ask(second)).toEqual(OVERLOADED);
  expect(callsFor(second)).toHaveLength(0);
  answerAll();
  expect(await one).toEqual(dataOf(first));
});

it('a caller who leaves while waiting gives the place up', async () => {
  const ask = gatewayWith(10_000);
  const [first, leaving, third] = [idsOf(1, 100), idsOf(2, 100), idsOf(3, 100)];
  const one = ask(first);
  await until(() => held.length === 1);
  const controller = new AbortController();
  const gone = ask(leaving, controller.signal).catch((error: unknown) => error);
  await new Promise((resolve) => setTimeout(resolve, 50));
  controller.abort();
  await gone;

  answerAll();
  expect(await one).toEqual(dataOf(first));
  // The third runs at once (the place of the one that left was not kept for it), and the one that
  // left never reached the upstream.
  const three = ask(third);
  await until(() => callsFor(third).length === 1);
  answerAll();
  expect(await three).toEqual(dataOf(third));
  expect(callsFor(leaving)).toHaveLength(0);
});
