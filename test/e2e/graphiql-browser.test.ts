import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { chromiumPath, isMissing } from '../support/system-tools.js';

// `npm start` as a newcomer runs it, GraphiQL opened in Debian's Chromium (driven by playwright-core,
// which downloads no browser). The test command provides Chromium where it can, and otherwise skips
// this test with a loud line (test/support/system-tools.ts); under CI=true it is never skipped.
const browserTest = isMissing('chromium') ? it.skip : it;

let gateway: ChildProcess | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  if (gateway?.pid && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway?.once('exit', resolve));
    // npm runs the gateway as a child: signal the whole process group it leads.
    process.kill(-gateway.pid, 'SIGTERM');
    await exited;
  }
});

/** Starts `npm start` on free ports and resolves to the GraphQL URL it prints. */
function startGateway(): Promise<string> {
  return new Promise((resolve, reject) => {
    gateway = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, PORT: '0', EMULATOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphQL gateway: (http:\/\/\S+\/graphql)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    gateway.stdout?.on('data', onData);
    gateway.stderr?.on('data', onData);
    gateway.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

browserTest(
  'GraphiQL from `npm start` runs its default operation and shows data',
  async () => {
    const url = await startGateway();
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    await page.goto(url);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ timeout: 30_000 });
    await run.click();
    // A string, evaluated in the page: this project's TypeScript has no DOM types.
    await page.waitForFunction(
      `document.querySelector('.graphiql-response')?.textContent?.includes('orgId')`,
      null,
      {
        timeout: 20_000,
      },
    );
    const text = (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
    expect(text).toMatch(/"user": \{ "id": "[^"]+", "orgId"/);
    expect(text).not.toMatch(/"errors"/);
  },
  90_000,
);
