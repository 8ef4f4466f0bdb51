// Runs first in each test worker thread (jest's setupFiles): the worker loads TypeScript through the
// hooks of ts-hooks.mjs (a worker thread does not inherit its parent's), and error stacks point into
// the .ts sources through the inline source maps.
import { register } from 'node:module';
import process from 'node:process';

register('./ts-hooks.mjs', import.meta.url);
process.setSourceMapsEnabled(true);
