import { GraphQLClient } from 'graphql-request';
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
