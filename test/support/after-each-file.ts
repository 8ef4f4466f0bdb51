// Runs in every test file's own module registry (jest's setupFilesAfterEnv). jest loads src/ afresh per
// file, and each copy of logger.ts that served a request leaves its AsyncLocalStorage registered with
// node for the rest of the worker's life: every promise after it pays for all of them. Detaching the
// file's own when the file ends took about 6 s off the suite's 70 (jest-circus leaves one per file
// too, which no test can reach).
import { disableRequestScope } from '../../src/logger.js';

afterAll(() => disableRequestScope());
