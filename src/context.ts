import { createLoaders, type Loaders } from './loaders/create-loaders.js';
import type { UserApi } from './upstream/user-api.js';

/** Settings the resolvers need, fixed for the life of the app. */
export interface SchemaSettings {
  maxUserIds: number;
}

/** The per-request context every resolver receives. */
export interface GraphQLContext {
  api: UserApi;
  loaders: Loaders;
  settings: SchemaSettings;
  /** Aborted when the caller goes away; passed to every upstream call. */
  signal: AbortSignal;
}

export function createContext(api: UserApi, settings: SchemaSettings, request: Request): GraphQLContext {
  const signal = request.signal;
  return { api, settings, signal, loaders: createLoaders(api, { signal }) };
}
