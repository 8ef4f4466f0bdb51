import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type ASTVisitor,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Introspection off: the schema is not browsable (GraphiQL is off as well then). Nor is it through
 * `_service { sdl }`, the router's copy of the schema, unless `federationSdl` (FEDERATION_SDL=true)
 * serves it to routers that compose from the running subgraph.
 */
export function useNoIntrospection(options: { federationSdl?: boolean } = {}): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      if (!options.federationSdl) addValidationRule(noFederationSdlRule);
    },
  };
}

function noFederationSdlRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value !== '_service' || context.getParentType() !== context.getSchema().getQueryType()) {
        return;
      }
      context.reportError(
        new GraphQLError(
          'GraphQL introspection has been disabled, but the requested query contained the field "_service".',
          { nodes: node },
        ),
      );
    },
  };
}
