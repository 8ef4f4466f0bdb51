import { readFileSync } from 'node:fs';

/** Ids the example operations use; in the default mode they come from the emulator's seed. */
export interface ExampleIds {
  userId: string;
  userIds: string[];
  updateUserId: string;
}

const operationsDir = new URL('../schema/operations/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, operationsDir), 'utf8');

/**
 * GraphiQL's opening tabs: one per example operation in schema/operations/, the same documents the
 * typed client and the tests use, so the examples cannot drift from the schema unnoticed.
 */
export function graphiqlTabs(ids: ExampleIds) {
  const fragments = read('fragments.graphql');
  const tab = (file: string, variables?: object) => ({
    query: file === 'get-user.graphql' ? `${read(file)}\n${fragments}` : read(file),
    variables: variables ? JSON.stringify(variables, null, 2) : null,
  });
  return [
    tab('get-user.graphql', { id: ids.userId }),
    tab('get-users.graphql', { ids: ids.userIds }),
    tab('search-users.graphql', {
      filter: { enabled: true },
      orderBy: { field: 'LAST_LOGIN', direction: 'DESC' },
      first: 10,
    }),
    tab('update-user.graphql', { id: ids.updateUserId, input: { nick: 'renamed-in-graphiql' } }),
    tab('me.graphql'),
  ];
}
