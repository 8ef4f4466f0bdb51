// The `xdr-user-gateway` command (src/cli.ts): --help from docs/configuration.md's table, which must
// list exactly the settings the gateway reads; --version; --check-config.
import { readFileSync } from 'node:fs';
import { helpText, runCli, settingsTable } from '../../src/cli.js';
import { KNOWN_SETTINGS } from '../../src/config-env.js';

const DOCS = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (text) => (out += text), err: (text) => (err += text), env });
  return { code, out, err };
}

it('documents exactly the settings the gateway reads, each once, in docs/configuration.md', () => {
  const names = settingsTable(DOCS).map((row) => row.name);
  expect(new Set(names).size).toBe(names.length);
  // The OpenTelemetry variables the gateway reads are the SDK's; the table lists them too.
  const otel = names.filter((name) => name.startsWith('OTEL_'));
  expect([...names].filter((name) => !name.startsWith('OTEL_')).sort()).toEqual([...KNOWN_SETTINGS].sort());
  expect(otel.length).toBeGreaterThan(0);
});

it('--help prints the usage and every setting with its default, what it accepts and its meaning', async () => {
  const { code, out, err } = await run(['--help']);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out).toBe(helpText(DOCS));
  expect(out).toMatch(/^Usage: xdr-user-gateway \[--help \| --version \| --check-config\]/);
  for (const name of KNOWN_SETTINGS) expect(out).toContain(`\n  ${name}\n      default: `);
  expect(out).toContain(
    '  MAX_CONCURRENT_IDS\n      default: one per 16 KB of heap (8192 under start:prod), at least LIMIT_MAX_IDS_PER_OPERATION;',
  );
  // Terminal text: no markdown left, no line past 100 columns.
  expect(out).not.toMatch(/`|\]\(/);
  expect(out.split('\n').every((line) => line.length <= 100)).toBe(true);
});

it('--version prints the package version', async () => {
  expect(await run(['--version'])).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
});

it('--check-config: 0 and one line for a valid environment, 1 and every problem for an invalid one', async () => {
  expect(await run(['--check-config'], {})).toEqual({
    code: 0,
    out: 'Configuration valid: upstream the embedded emulator, AUTH_MODE=none, listening on 127.0.0.1:4000\n',
    err: '',
  });
  const cisco = await run(['--check-config'], {
    NODE_ENV: 'production',
    XDR_REGION: 'eu',
    XDR_CLIENT_ID: 'id',
    XDR_CLIENT_SECRET: 'not printed',
    AUTH_MODE: 'forward',
    HOST: '0.0.0.0',
  });
  expect(cisco).toEqual({
    code: 0,
    out: 'Configuration valid: upstream Cisco at https://visibility.eu.amp.cisco.com, AUTH_MODE=forward, listening on 0.0.0.0:4000, production\n',
    err: '',
  });
  const bad = await run(['--check-config'], {
    PORT: 'eighty',
    XDR_CLIENT_SECRET: 'hunter2',
    AUTH_MODES: 'jwt',
  });
  expect(bad.code).toBe(1);
  expect(bad.out).toBe('');
  expect(bad.err).toContain('PORT must be a port number 0-65535, got "eighty"');
  expect(bad.err).not.toContain('hunter2');
  // Outside production a misspelt setting is a warning beside a valid configuration.
  const typo = await run(['--check-config'], { AUTH_MODES: 'jwt' });
  expect(typo).toMatchObject({
    code: 0,
    err: 'Warning: AUTH_MODES is not a setting of this gateway (did you mean AUTH_MODE?)\n',
  });
});

it('refuses an unknown option with the usage and exit code 2; no option starts the gateway', async () => {
  const unknown = await run(['--bogus']);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toMatch(/^Unknown option: --bogus\n\nUsage: /);
  expect((await run(['--help', 'extra'])).code).toBe(2);
  expect((await run([])).code).toBe('serve');
});

it('--check-config reads PERSISTED_DOCUMENTS as a start does: a manifest that cannot be read is 1', async () => {
  const missing = await run(['--check-config'], { PERSISTED_DOCUMENTS: '/nonexistent/manifest.json' });
  expect(missing.code).toBe(1);
  expect(missing.err).toContain('PERSISTED_DOCUMENTS (/nonexistent/manifest.json): cannot be read');
});
