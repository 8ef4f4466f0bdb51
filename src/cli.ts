// The command line (package.json "bin": bin/xdr-user-gateway.js runs the compiled form of this file).
// With no option it starts the gateway as `npm start` does (main.ts); --help lists every setting from
// the table of docs/configuration.md, the one place settings are described (test/unit/cli.test.ts
// holds that table to the settings config-env.ts reads); --version; --check-config validates the
// environment as a start would and exits, for the CI of a deployment.
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';

const ROOT = new URL('../', import.meta.url);

export interface SettingRow {
  name: string;
  default: string;
  accepts: string;
  meaning: string;
}

/** The rows of the "Every variable" table of docs/configuration.md. */
export function settingsTable(markdown: string): SettingRow[] {
  const section = markdown.slice(markdown.indexOf('## Every variable'));
  const end = section.indexOf('\n## ', 1);
  const rows: SettingRow[] = [];
  for (const line of (end === -1 ? section : section.slice(0, end)).split('\n')) {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => plain(cell.trim()));
    const [name, byDefault, accepts, meaning] = cells;
    if (cells.length !== 4 || !name || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    rows.push({ name, default: byDefault ?? '', accepts: accepts ?? '', meaning: meaning ?? '' });
  }
  return rows;
}

/** Markdown cell text as terminal text: no backticks, links as their text. */
const plain = (cell: string) => cell.replace(/`([^`]*)`/g, '$1').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');

const USAGE = `Usage: xdr-user-gateway [--help | --version | --check-config]

A typed GraphQL gateway over Cisco XDR's REST User API. Without an option it starts the gateway,
configured by the environment variables below (with no XDR_* variable: over the embedded emulator).

  --help          Print this text.
  --version       Print the version.
  --check-config  Validate the environment as a start would, print the outcome and exit
                  (0: valid, 1: not); nothing is started and nothing is called.
`;

function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

export function helpText(markdown: string): string {
  const settings = settingsTable(markdown).map((row) =>
    [
      `  ${row.name}`,
      wrap(`default: ${row.default}; accepts: ${row.accepts}`, '      '),
      wrap(row.meaning, '      '),
    ].join('\n'),
  );
  return `${USAGE}\nSettings (environment variables; docs/configuration.md has the rules between them):\n\n${settings.join('\n')}\n`;
}

/** One line on what a valid configuration will run. */
function describeConfig(config: ReturnType<typeof loadConfig>): string {
  const upstream =
    config.upstream.mode === 'emulator'
      ? 'the embedded emulator'
      : `Cisco at ${new URL(config.upstream.baseUrl).origin}`;
  return `Configuration valid: upstream ${upstream}, AUTH_MODE=${config.auth.mode}, listening on ${config.host}:${config.port}${config.production ? ', production' : ''}`;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env?: Record<string, string | undefined>;
}

/** Runs an option and resolves to the exit code, or 'serve' when the gateway should start. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number | 'serve'> {
  const [option, ...rest] = args;
  if (option === undefined) return 'serve';
  if (rest.length > 0 || !['--help', '-h', '--version', '--check-config'].includes(option)) {
    io.err(`Unknown option: ${args.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  if (option === '--help' || option === '-h') {
    io.out(helpText(readFileSync(new URL('docs/configuration.md', ROOT), 'utf8')));
    return 0;
  }
  if (option === '--version') {
    const { version } = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
      version: string;
    };
    io.out(`${version}\n`);
    return 0;
  }
  try {
    const config = io.env ? loadConfig(io.env) : loadConfig();
    // The manifest of trusted documents is read and checked as a start reads it. Loaded here only:
    // it brings the schema and Yoga, which would triple the time of --help and --version.
    const { persistedSettings } = await import('./server/persisted-operations.js');
    persistedSettings(config.security.persisted);
    for (const warning of config.warnings) io.err(`Warning: ${warning}\n`);
    io.out(`${describeConfig(config)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`${error.message}\n`);
    return 1;
  }
}
