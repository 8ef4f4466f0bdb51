import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitExceeded } from '../errors.js';
import type { OperationLimits } from '../limits.js';

/** graphql-armor with our limits; limit errors are validation errors like any other (limitExceeded). */
export function useOperationLimits(limits: OperationLimits): Plugin {
  // By default these rules throw out of graphql-js' validate, which Yoga answers as an unexpected
  // error (status 200, no code); reported as validation errors they are a 400 like any other.
  const report = (limit: string, max: number) => ({
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null, error: GraphQLError) =>
        ctx?.reportError(limitExceeded(error.message, limit, max)),
    ],
  });
  return EnvelopArmorPlugin({
    maxDepth: {
      n: limits.maxDepth,
      ignoreIntrospection: true,
      ...report('LIMIT_MAX_DEPTH', limits.maxDepth),
    },
    // Every alias counts: graphql-armor exempts `__typename` by default, and 1,600 aliases of it
    // passed a limit of 150.
    maxAliases: { n: limits.maxAliases, allowList: [], ...report('LIMIT_MAX_ALIASES', limits.maxAliases) },
    // Runs in the parser, where there is no validation context: thrown from the lexer, ours is the
    // parse error.
    maxTokens: {
      n: limits.maxTokens,
      onReject: [
        (_ctx: ValidationContext | null, error: GraphQLError) => {
          throw limitExceeded(error.message, 'LIMIT_MAX_TOKENS', limits.maxTokens, 'parse');
        },
      ],
    },
    maxDirectives: { n: limits.maxDirectives, ...report('LIMIT_MAX_DIRECTIVES', limits.maxDirectives) },
    costLimit: { maxCost: limits.maxCost, ...report('LIMIT_MAX_COST', limits.maxCost) },
    // "Did you mean …?" would let a caller map the schema with introspection off.
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
}
