import { readFileSync } from 'node:fs';
import {
  astFromValue,
  coerceInputValue,
  parse,
  print,
  typeFromAST,
  visit,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/** Ids the example operations use; in the default mode they come from the emulator's seed. */
export interface ExampleIds {
  userId: string;
  userIds: string[];
  updateUserId: string;
}

const operationsDir = new URL('../../schema/operations/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, operationsDir), 'utf8');

/**
 * GraphiQL's opening tabs: one per example operation in schema/operations/, the same documents the
 * typed client and the tests use, so the examples cannot drift from the schema unnoticed. The
 * example values are written into the documents as variable defaults (GraphiQL does not fill the
 * variables pane from its default tabs), so each tab runs as it opens.
 */
export function graphiqlTabs(schema: GraphQLSchema, ids: ExampleIds) {
  const fragments = read('fragments.graphql');
  const tab = (file: string, variables: Record<string, unknown> = {}) => {
    const source = file === 'get-user.graphql' ? `${read(file)}\n${fragments}` : read(file);
    return { query: withDefaults(schema, source, variables), variables: null };
  };
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

function withDefaults(schema: GraphQLSchema, source: string, variables: Record<string, unknown>): string {
  const document = visit(parse(source), {
    VariableDefinition(node) {
      const name = node.variable.name.value;
      if (!(name in variables)) return undefined;
      const type = typeFromAST(schema, node.type as never) as GraphQLInputType;
      const defaultValue = astFromValue(coerceInputValue(variables[name], type), type) ?? undefined;
      return { ...node, defaultValue };
    },
  });
  return print(document);
}
