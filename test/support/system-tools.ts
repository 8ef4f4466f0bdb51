// What a test file needs to know of the system programs global-setup.ts provided (or could not).
export { chromiumPath, type ToolName } from './global-setup.js';
import type { ToolName } from './global-setup.js';

/** Whether a suite's system program is missing on this run, so that its tests are skipped. */
export const isMissing = (tool: ToolName): boolean =>
  (process.env['JEST_MISSING_TOOLS'] ?? '').split(',').includes(tool);
