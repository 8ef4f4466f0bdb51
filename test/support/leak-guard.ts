// Collects every error the upstream code throws in a test file, and every secret and token the file
// handled, so the file's last test can assert that no error carries any of them.
import { inspect } from 'node:util';
import { DEMO_CLIENTS } from '../../src/emulator/demo-clients.js';

export class LeakGuard {
  readonly errors: unknown[] = [];
  readonly #secrets = new Set<string>();

  constructor() {
    for (const client of DEMO_CLIENTS) {
      this.secret(client.clientSecret);
      this.secret(Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64'));
    }
    this.secret('wrong-secret-value');
  }

  /** Something that must never appear in an error: a secret, a token, a host:port. */
  secret(value: string): string {
    if (value.length > 0) this.#secrets.add(value);
    return value;
  }

  /** The rejection of `promise`, recorded; fails the test when it resolves instead. */
  async failure(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      this.errors.push(error);
      return error as Error;
    }
    throw new Error('expected a rejection, got a value');
  }

  /** Every way an error can be shown: message, stack, JSON, inspect (which includes causes). */
  static render(error: unknown): string {
    const parts = [String(error), inspect(error, { depth: 10, showHidden: true })];
    if (error instanceof Error) parts.push(error.message, error.stack ?? '');
    try {
      parts.push(JSON.stringify(error));
    } catch {
      // Circular structures cannot leak through JSON either.
    }
    return parts.join('\n');
  }

  /** The secrets, tokens and markers found in the recorded errors (expected: none). */
  leaks(extraMarkers: readonly string[] = []): string[] {
    const markers = [...this.#secrets, 'Bearer ', 'Basic ', ...extraMarkers];
    const found: string[] = [];
    for (const error of this.errors) {
      const text = LeakGuard.render(error);
      for (const marker of markers) {
        if (text.includes(marker)) found.push(`${marker.slice(0, 12)}… in ${String(error)}`);
      }
    }
    return found;
  }
}

/** Upstream body text the emulator sends in its faults; none of it may reach our errors. */
export const UPSTREAM_BODY_MARKERS = [
  'injected fault',
  'error_description',
  'trace_id',
  '<html',
  'Bad Gateway',
  'unknown client id',
  'idb-amp:3f2a',
];
