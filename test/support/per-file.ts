// Runs in every test file's own module registry before the file (jest's setupFilesAfterEnv).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { disableRequestScope } from '../../src/logger.js';
import { DEFAULT_SEED, adoptSeedData, generateSeedData } from '../../src/emulator/seed.js';

// The default seed, generated once per run by the emulator's own generator and shared through the
// run's directory (global-setup.ts): jest runs each file's modules cold, where generating it costs
// about 0.1 s of CPU, and reading it back a tenth of that.
const runDir = process.env['JEST_RUN_DIR'];
if (runDir) {
  const file = join(runDir, `seed-${DEFAULT_SEED}.json`);
  if (existsSync(file)) {
    adoptSeedData(DEFAULT_SEED, JSON.parse(readFileSync(file, 'utf8')));
  } else {
    const data = generateSeedData(DEFAULT_SEED);
    // Written beside and renamed: another worker may be reading or writing it at the same moment.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(data));
    renameSync(partial, file);
    adoptSeedData(DEFAULT_SEED, data);
  }
}

// jest loads src/ afresh per file, and each copy of logger.ts that served a request leaves its
// AsyncLocalStorage registered with node for the rest of the worker's life: every promise after it
// pays for all of them. Detaching the file's own when the file ends took about 6 s off the suite's
// 70 (jest-circus leaves one per file too, which no test can reach).
afterAll(() => disableRequestScope());
