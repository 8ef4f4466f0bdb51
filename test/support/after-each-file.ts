// Runs in every test file's own module registry (jest's setupFilesAfterEnv). jest loads src/ afresh per
// file, so each file that served a request leaves one more AsyncLocalStorage registered with node for
// the rest of the worker's life, and every promise after it pays for all of them (about 15 s of the
// suite's CPU when they piled up).
import { disableRequestScope } from '../../src/logger.js';

afterAll(() => disableRequestScope());
