// The per-operation budget (LIMIT_MAX_IDS_PER_OPERATION, LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION).
// USERS_MAX_IDS caps one field; an operation of 150 aliased `users` lists of 100 ids passed it,
// held every user at once (the process ran out of heap with four of them) and spent 150 batch calls
// of the org's hourly quota. graphql-armor's static limits cannot see list lengths held in
// variables, so the budget is computed where the variables are known: before execution, once they
// are coerced, as the executor will coerce them.
import {
  Kind,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { budgetExceeded } from '../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/search-users.js';
import { packBatches } from '../upstream/batches.js';
import type { OperationLimits } from '../limits.js';
import { createExecutionGate, type ExecutionGateSettings } from './execution-gate.js';

export type OperationBudget = Pick<OperationLimits, 'maxIdsPerOperation' | 'maxUpstreamCallsPerOperation'>;

/** What one operation may cost at worst, before the loader's de-duplication and cache. */
export interface OperationCost {
  /** Every id asked for: `user` 1, `users` its list, `_entities` its representations, `me` 1. */
  ids: number;
  /**
   * The batch calls of the distinct ids (⌈ids / 100⌉ for real ids; long ids need more, see packBatches),
   * plus one per `searchUsers`, `me` (whoami) and `updateUser`.
   */
  upstreamCalls: number;
  /**
   * The users the operation may hold at once, its weight at the execution gate: its ids, the page
   * size of each `searchUsers` and one per `updateUser`.
   */
  users: number;
}

interface Tally {
  ids: number;
  distinct: Set<string>;
  /** Upstream calls other than batches. */
  calls: number;
  /** Users held other than those of `ids`: search pages, changed users. */
  others: number;
}

// Every `me` looks up the same user (the caller's), whose id is unknown before the call: it counts
// as one distinct id of its own, which no real id can equal.
const ME_ID = '\u0000me';

/**
 * Refuses, before execution and with no upstream call, an operation whose ids or worst-case upstream
 * calls exceed the budget: 400 BAD_USER_INPUT naming the setting, with `limit`, `max` and
 * `requested` in its extensions. Then, with `gate`, admits it to execution only while the users of
 * the operations executing, its own included, stay within the gate's capacity: memory grows with the
 * users held, not with the operations, so a thousand single lookups run at once where twenty
 * operations at the budget would not fit. Past the wait, 503 OVERLOADED with Retry-After.
 * Runs after the context is built, so place it after any plugin whose onExecuteDone must see every
 * execution (those still run when it refuses), and after any plugin that replaces the executor.
 */
export function useOperationBudget(budget: OperationBudget, gate?: ExecutionGateSettings): Plugin {
  const admit = gate && createExecutionGate(gate, budget.maxIdsPerOperation);
  return {
    onExecute({ args, setResultAndStopExecution, executeFn, setExecuteFn, context }) {
      const cost = operationCost(args);
      // No cost: the executor refuses the operation itself (unknown operation, bad variables).
      if (!cost) return;
      const checks = [
        ['LIMIT_MAX_IDS_PER_OPERATION', 'asks for', cost.ids, 'user ids', budget.maxIdsPerOperation],
        [
          'LIMIT_MAX_UPSTREAM_CALLS_PER_OPERATION',
          'may need',
          cost.upstreamCalls,
          'upstream calls',
          budget.maxUpstreamCallsPerOperation,
        ],
      ] as const;
      const errors = checks
        .filter(([, , requested, , max]) => requested > max)
        .map(([limit, verb, requested, what, max]) =>
          budgetExceeded(
            `This operation ${verb} ${requested} ${what}; ${limit} allows ${max}`,
            limit,
            max,
            requested,
          ),
        );
      if (errors.length > 0) return setResultAndStopExecution({ errors });
      return admit?.(cost.users, {
        signal: (context as { signal?: AbortSignal }).signal,
        executeFn,
        setExecuteFn,
        setResultAndStopExecution,
      });
    },
  };
}

/**
 * The worst-case cost of the operation `args` selects, or undefined when it cannot execute at all.
 * Every occurrence of a root field counts, aliased or spread from fragments, whatever its
 * directives say: the worst case, and what an attacker controls.
 */
export function operationCost(args: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variableValues?: { readonly [name: string]: unknown } | null | undefined;
}): OperationCost | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  const root = operation && args.schema.getRootType(operation.operation);
  if (!operation || !root) return undefined;
  const coerced = getVariableValues(
    args.schema,
    operation.variableDefinitions ?? [],
    args.variableValues ?? {},
  );
  if (coerced.errors) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of args.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const tally = tallySelections(operation.selectionSet, {
    root,
    variables: coerced.coerced,
    fragments,
    // A fragment spread many times (or spreads of spreads) is tallied once: the walk stays linear
    // in the document however the spreads multiply.
    fragmentTallies: new Map(),
  });
  return {
    ids: tally.ids,
    upstreamCalls: packBatches([...tally.distinct]).length + tally.calls,
    users: tally.ids + tally.others,
  };
}

interface Walk {
  root: GraphQLObjectType;
  variables: { [name: string]: unknown };
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  fragmentTallies: Map<string, Tally>;
}

function tallySelections(selectionSet: SelectionSetNode, walk: Walk): Tally {
  const tally: Tally = emptyTally();
  for (const selection of selectionSet.selections) {
    switch (selection.kind) {
      case Kind.FIELD:
        tallyField(tally, selection, walk);
        break;
      case Kind.INLINE_FRAGMENT:
        add(tally, tallySelections(selection.selectionSet, walk));
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        let fragmentTally = walk.fragmentTallies.get(name);
        if (!fragmentTally) {
          const fragment = walk.fragments.get(name);
          // Validation has refused unknown and cyclic spreads; the empty tally is a guard only.
          walk.fragmentTallies.set(name, emptyTally());
          fragmentTally = fragment ? tallySelections(fragment.selectionSet, walk) : emptyTally();
          walk.fragmentTallies.set(name, fragmentTally);
        }
        add(tally, fragmentTally);
        break;
      }
    }
  }
  return tally;
}

function emptyTally(): Tally {
  return { ids: 0, distinct: new Set(), calls: 0, others: 0 };
}

function add(into: Tally, from: Tally): void {
  into.ids += from.ids;
  into.calls += from.calls;
  into.others += from.others;
  for (const id of from.distinct) into.distinct.add(id);
}

function tallyField(tally: Tally, field: FieldNode, walk: Walk): void {
  const name = field.name.value;
  switch (name) {
    case 'me':
      tally.ids += 1;
      tally.distinct.add(ME_ID);
      tally.calls += 1;
      return;
    case 'updateUser':
      tally.calls += 1;
      tally.others += 1;
      return;
    case 'searchUsers':
      tally.calls += 1;
      break;
    case 'user':
    case 'users':
    case '_entities':
      break;
    default:
      return;
  }
  const definition = walk.root.getFields()[name];
  if (!definition) return;
  let values: { [argument: string]: unknown };
  try {
    values = getArgumentValues(definition, field, walk.variables);
  } catch {
    // The executor fails this field before its resolver runs: it costs nothing.
    return;
  }
  if (name === 'searchUsers') {
    // Page size 1-100, default 20 (the resolver refuses any other before its call).
    const first = values['first'];
    tally.others +=
      typeof first === 'number' ? Math.min(Math.max(first, 1), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  } else if (name === 'user') {
    tally.ids += 1;
    tally.distinct.add(String(values['id']));
  } else if (name === 'users') {
    const ids = asList(values['ids']);
    tally.ids += ids.length;
    for (const id of ids) tally.distinct.add(String(id));
  } else {
    const representations = asList(values['representations']);
    tally.ids += representations.length;
    for (const representation of representations) {
      const id = keyOf(representation);
      // A representation without a usable key is refused in its slot and never looked up.
      if (id !== undefined) tally.distinct.add(id);
    }
  }
}

function asList(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

function keyOf(representation: unknown): string | undefined {
  if (typeof representation !== 'object' || representation === null) return undefined;
  const id: unknown = (representation as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
