// The tests' one JSON POST, and the GraphQL request built on it. Through global fetch it goes over a
// socket (a spawned gateway, a listening test gateway); through a TestGateway's `fetch` it stays
// in-process.

/** A fetch: global fetch, or a test gateway's in-process one. */
export type Fetch = typeof fetch;

/** A GraphQL response as it arrives: data and/or errors. */
export interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** A GraphQL response with its HTTP status. */
export interface GraphQLAnswer {
  status: number;
  body: GraphQLResponse;
}

/**
 * POSTs `body` to `url` as JSON (a string goes as it is, for bodies no serialiser would make), with
 * `headers` over `content-type: application/json`. Every JSON POST of the tests goes through here.
 */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  fetchFn: Fetch = fetch,
): Promise<Response> {
  return fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The header a GraphQL-over-HTTP client sends (statuses then follow the spec's new media type). */
export const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' } as const;

/** Status and parsed body of one GraphQL POST to `url`, with `token` (if any) as the bearer. */
export async function postAs(
  url: string,
  token: string | undefined,
  query: string,
  variables: unknown = {},
  fetchFn: Fetch = fetch,
): Promise<GraphQLAnswer> {
  const response = await postJson(
    url,
    { query, variables },
    { ...GRAPHQL_RESPONSE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    fetchFn,
  );
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}
