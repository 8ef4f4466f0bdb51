import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { createContext, type GraphQLContext } from './context.js';
import { graphiqlTabs, type ExampleIds } from './graphiql-tabs.js';
import { getSchema } from './schema/index.js';
import type { UserApi } from './upstream/user-api.js';

export interface AppDeps {
  api: UserApi;
  /** Most ids one `users(ids:)` field accepts (default 500). */
  maxUserIds?: number;
  /** GraphiQL with example tabs for these ids; false turns GraphiQL off. */
  graphiql?: { examples: ExampleIds } | false;
}

export type App = YogaServerInstance<Record<string, never>, GraphQLContext>;

/** Builds the gateway's HTTP handler. No listening, no environment reads: see main.ts. */
export function createApp(deps: AppDeps): App {
  const settings = { maxUserIds: deps.maxUserIds ?? 500 };
  return createYoga<Record<string, never>, GraphQLContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    context: ({ request }) => createContext(deps.api, settings, request),
    landingPage: false,
    // GraphiQL's assets are served from this package, not a CDN: it works offline and behind
    // strict egress rules.
    renderGraphiQL,
    graphiql: deps.graphiql
      ? {
          title: 'XDR User Gateway',
          defaultTabs: graphiqlTabs(getSchema(), deps.graphiql.examples),
          shouldPersistHeaders: false,
        }
      : false,
  });
}
