import { print } from 'graphql';
import { GraphQLClient, type RequestMiddleware } from 'graphql-request';
import {
  GetUserDocument,
  GetUsersDocument,
  MeDocument,
  SearchUsersDocument,
  UpdateUserDocument,
  type SearchUsersQueryVariables,
  type UpdateUserInput,
} from './generated/graphql.js';

export interface GatewayClientOptions {
  /** Extra headers on every request, e.g. an Authorization header. */
  headers?: Record<string, string>;
  /** A fetch implementation; tests pass `yoga.fetch` to run in-process. */
  fetch?: typeof fetch;
  /**
   * Send each operation as its trusted document's id (`documentId`) instead of its text: smaller
   * requests, and what a gateway with PERSISTED_OPERATIONS=only requires.
   */
  persisted?: boolean;
}

const DOCUMENTS = [GetUserDocument, GetUsersDocument, MeDocument, SearchUsersDocument, UpdateUserDocument];

/** Replaces the text of each of our operations with its id (graphql-codegen's `__meta__.hash`). */
function sendDocumentIds(): RequestMiddleware {
  const ids = new Map<string, string>();
  for (const document of DOCUMENTS) {
    const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
    if (hash) ids.set(print(document), hash);
  }
  return (request) => {
    if (typeof request.body !== 'string') return request;
    const { query, ...rest } = JSON.parse(request.body) as { query?: string };
    const documentId = query === undefined ? undefined : ids.get(query);
    return documentId ? { ...request, body: JSON.stringify({ ...rest, documentId }) } : request;
  };
}

/**
 * A typed client of the gateway's example operations (schema/operations/*.graphql), built on
 * graphql-request and the documents graphql-codegen generates from them. GraphQL errors reject
 * with graphql-request's ClientError, which carries the whole response.
 */
export function createGatewayClient(url: string, options: GatewayClientOptions = {}) {
  const client = new GraphQLClient(url, {
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.persisted ? { requestMiddleware: sendDocumentIds() } : {}),
  });
  return {
    raw: client,
    getUser: (id: string) => client.request(GetUserDocument, { id }),
    getUsers: (ids: string[]) => client.request(GetUsersDocument, { ids }),
    searchUsers: (variables: SearchUsersQueryVariables = {}) =>
      client.request(SearchUsersDocument, variables),
    updateUser: (id: string, input: UpdateUserInput) => client.request(UpdateUserDocument, { id, input }),
    me: () => client.request(MeDocument),
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;
