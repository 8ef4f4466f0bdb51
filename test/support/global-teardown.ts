// Removes what global-setup.ts made, and ends a run that skipped suites with the line that says so.
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const runDir = process.env['JEST_RUN_DIR'];
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  const notRun = process.env['JEST_NOT_RUN_LINE'];
  if (notRun) console.warn(`\n${notRun}\n`);
}
