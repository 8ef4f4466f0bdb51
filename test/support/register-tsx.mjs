// Runs first in each test worker thread (jest's setupFiles): node loads the TypeScript of test/ and
// src/ through tsx's loader hooks, which a worker thread does not inherit from `node --import tsx`.
import { register } from 'tsx/esm/api';

register();
