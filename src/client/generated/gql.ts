/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment UserFields on User {\n  id\n  orgId\n  email\n  name\n  nick\n  role\n  roleIds\n  scopes\n  additionalScopes\n  enabled\n  createdAt\n  updatedAt\n  enabledAt\n  blockedAt\n  lastLoginAt\n  lastLoggedAt\n  idpMappings {\n    idp\n    userIdentityId\n    enabled\n  }\n}": typeof types.UserFieldsFragmentDoc,
    "query GetUser($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}": typeof types.GetUserDocument,
    "query GetUsers($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    email\n    name\n    role\n    enabled\n    lastLoginAt\n  }\n}": typeof types.GetUsersDocument,
    "query Me {\n  me {\n    subject\n    clientId\n    scopes\n    user {\n      id\n      email\n      name\n      role\n      scopes\n    }\n    organization {\n      id\n      name\n      scimStatus\n      enabled\n    }\n  }\n}": typeof types.MeDocument,
    "query SearchUsers($filter: UserFilter, $orderBy: UserOrder, $first: Int, $after: String) {\n  searchUsers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        email\n        name\n        role\n        enabled\n        createdAt\n        lastLoginAt\n      }\n    }\n  }\n}": typeof types.SearchUsersDocument,
    "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    __typename\n    ... on UpdateUserSuccess {\n      user {\n        id\n        name\n        nick\n        role\n        enabled\n        updatedAt\n        enabledAt\n        blockedAt\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      fields {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      missingScopes\n    }\n  }\n}": typeof types.UpdateUserDocument,
};
const documents: Documents = {
    "fragment UserFields on User {\n  id\n  orgId\n  email\n  name\n  nick\n  role\n  roleIds\n  scopes\n  additionalScopes\n  enabled\n  createdAt\n  updatedAt\n  enabledAt\n  blockedAt\n  lastLoginAt\n  lastLoggedAt\n  idpMappings {\n    idp\n    userIdentityId\n    enabled\n  }\n}": types.UserFieldsFragmentDoc,
    "query GetUser($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}": types.GetUserDocument,
    "query GetUsers($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    email\n    name\n    role\n    enabled\n    lastLoginAt\n  }\n}": types.GetUsersDocument,
    "query Me {\n  me {\n    subject\n    clientId\n    scopes\n    user {\n      id\n      email\n      name\n      role\n      scopes\n    }\n    organization {\n      id\n      name\n      scimStatus\n      enabled\n    }\n  }\n}": types.MeDocument,
    "query SearchUsers($filter: UserFilter, $orderBy: UserOrder, $first: Int, $after: String) {\n  searchUsers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        email\n        name\n        role\n        enabled\n        createdAt\n        lastLoginAt\n      }\n    }\n  }\n}": types.SearchUsersDocument,
    "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    __typename\n    ... on UpdateUserSuccess {\n      user {\n        id\n        name\n        nick\n        role\n        enabled\n        updatedAt\n        enabledAt\n        blockedAt\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      fields {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      missingScopes\n    }\n  }\n}": types.UpdateUserDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment UserFields on User {\n  id\n  orgId\n  email\n  name\n  nick\n  role\n  roleIds\n  scopes\n  additionalScopes\n  enabled\n  createdAt\n  updatedAt\n  enabledAt\n  blockedAt\n  lastLoginAt\n  lastLoggedAt\n  idpMappings {\n    idp\n    userIdentityId\n    enabled\n  }\n}"): (typeof documents)["fragment UserFields on User {\n  id\n  orgId\n  email\n  name\n  nick\n  role\n  roleIds\n  scopes\n  additionalScopes\n  enabled\n  createdAt\n  updatedAt\n  enabledAt\n  blockedAt\n  lastLoginAt\n  lastLoggedAt\n  idpMappings {\n    idp\n    userIdentityId\n    enabled\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GetUser($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}"): (typeof documents)["query GetUser($id: ID!) {\n  user(id: $id) {\n    ...UserFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GetUsers($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    email\n    name\n    role\n    enabled\n    lastLoginAt\n  }\n}"): (typeof documents)["query GetUsers($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    email\n    name\n    role\n    enabled\n    lastLoginAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    subject\n    clientId\n    scopes\n    user {\n      id\n      email\n      name\n      role\n      scopes\n    }\n    organization {\n      id\n      name\n      scimStatus\n      enabled\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    subject\n    clientId\n    scopes\n    user {\n      id\n      email\n      name\n      role\n      scopes\n    }\n    organization {\n      id\n      name\n      scimStatus\n      enabled\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchUsers($filter: UserFilter, $orderBy: UserOrder, $first: Int, $after: String) {\n  searchUsers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        email\n        name\n        role\n        enabled\n        createdAt\n        lastLoginAt\n      }\n    }\n  }\n}"): (typeof documents)["query SearchUsers($filter: UserFilter, $orderBy: UserOrder, $first: Int, $after: String) {\n  searchUsers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        email\n        name\n        role\n        enabled\n        createdAt\n        lastLoginAt\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    __typename\n    ... on UpdateUserSuccess {\n      user {\n        id\n        name\n        nick\n        role\n        enabled\n        updatedAt\n        enabledAt\n        blockedAt\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      fields {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      missingScopes\n    }\n  }\n}"): (typeof documents)["mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {\n  updateUser(id: $id, input: $input) {\n    __typename\n    ... on UpdateUserSuccess {\n      user {\n        id\n        name\n        nick\n        role\n        enabled\n        updatedAt\n        enabledAt\n        blockedAt\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      fields {\n        path\n        message\n      }\n    }\n    ... on ForbiddenError {\n      missingScopes\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;