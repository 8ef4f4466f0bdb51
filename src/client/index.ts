// `xdr-user-gateway/client` (package.json "exports"): the typed client, its options, and the typed
// documents and types graphql-codegen generates from schema/operations/.
export { createGatewayClient, type GatewayClient, type GatewayClientOptions } from './gateway-client.js';
export * from './generated/graphql.js';
