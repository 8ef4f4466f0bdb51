// Removes what global-setup.ts made.
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const runDir = process.env['JEST_RUN_DIR'];
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}
