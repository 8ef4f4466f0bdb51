import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LintText {
  filePath: string;
  code: string;
}

export interface LintResults {
  /** Per text, in order: the rule id of each message (or `fatal: …` for a parse error). */
  texts: string[][];
  /** Every message of `rules` in the linted files, as `path:line message`. */
  files: string[];
}

/**
 * Lints `texts` as if they sat at their paths, and the files or folders `files`, with the project's
 * eslint.config.js running only `rules`, in one child process (see lint-child.mjs).
 */
export function lintInChild(rules: string[], texts: LintText[], files: string[]): Promise<LintResults> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [fileURLToPath(new URL('./lint-child.mjs', import.meta.url))],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`eslint failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as LintResults);
      },
    );
    child.stdin?.end(JSON.stringify({ rules, texts, files }));
  });
}
