// Lints for test/support/lint.ts, in a process of its own: ESLint, typescript-eslint and TypeScript load
// under plain node, without the test workers' module hooks, and stay out of the workers' memory. Reads { rules, texts: [{ filePath, code }], files } as JSON on stdin and writes
// { texts: ruleIds[][], files: violations[] } as JSON on stdout, with the project's own eslint.config.js
// and only `rules` switched on.
import { ESLint } from 'eslint';
import { stdin, stdout } from 'node:process';
import { text } from 'node:stream/consumers';

const { rules, texts, files } = JSON.parse(await text(stdin));
const eslint = new ESLint({ ruleFilter: ({ ruleId }) => rules.includes(ruleId) });

const messages = [];
for (const { filePath, code } of texts) {
  const [result] = await eslint.lintText(code, { filePath });
  messages.push((result?.messages ?? []).map((message) => message.ruleId ?? `fatal: ${message.message}`));
}
const violations = (await eslint.lintFiles(files)).flatMap((result) =>
  result.messages
    .filter((message) => rules.includes(message.ruleId ?? ''))
    .map((message) => `${result.filePath}:${message.line} ${message.message}`),
);
stdout.write(JSON.stringify({ texts: messages, files: violations }));
