// Runs first in each test worker thread (jest's setupFiles): the worker loads TypeScript through the
// hooks of ts-hooks.mjs (a worker thread does not inherit its parent's), and error stacks point into
// the .ts sources through the inline source maps.
//
// Under node 20 every module loaded once hooks are registered goes through the hooks' own thread,
// which about doubles its cost (the gateway's graph: 2.9 CPU-s instead of 1.3). The libraries that
// src/ imports statically, which every worker loads, are imported first, before the hooks: 1 CPU-s
// less per worker. A library missing here still loads, through the hooks.
import { register } from 'node:module';
import process from 'node:process';

const GATEWAY_LIBRARIES = [
  '@escape.tech/graphql-armor',
  '@graphql-yoga/plugin-persisted-operations',
  '@pothos/core',
  '@pothos/plugin-directives',
  '@pothos/plugin-errors',
  '@pothos/plugin-federation',
  'dataloader',
  'graphql',
  'graphql-request',
  'graphql-yoga',
  'ioredis',
  'jose',
  'lru-cache',
  'pino',
  'prom-client',
  'undici',
  'zod',
];
await Promise.all(GATEWAY_LIBRARIES.map((name) => import(name)));

register('./ts-hooks.mjs', import.meta.url);
process.setSourceMapsEnabled(true);
