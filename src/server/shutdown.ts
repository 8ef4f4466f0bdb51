import type { Server } from 'node:http';
import type { Logger } from '../logger.js';

/** What must end with the process, after the HTTP server. */
export interface ShutdownDeps {
  server: Server;
  /** SHUTDOWN_TIMEOUT_MS: how long in-flight requests may still run after the signal. */
  timeoutMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'flush'>;
  /** Ends every upstream call still running (the pool's destroy): nothing waits on a hung upstream. */
  abortUpstream: () => Promise<unknown>;
  /** The cache, the embedded emulator, the span exporter...: each gets CLOSE_BOUND_MS. */
  resources: { name: string; close: () => Promise<unknown> }[];
  /** process.exit, injectable. */
  exit: (code: number) => void;
  /** The line for the console when shutdown starts; default none. */
  announce?: (signal: string) => void;
}

/** Each resource's close gets this long; a stuck one is left behind, the process exits anyway. */
const CLOSE_BOUND_MS = 250;
/**
 * After SHUTDOWN_TIMEOUT_MS, the process exits within this, whatever hangs: an orchestrator's grace
 * period is usually the shutdown timeout plus a little, and a SIGKILL loses the final log lines.
 */
const HARD_EXIT_GRACE_MS = 900;

/**
 * A shutdown handler for SIGTERM/SIGINT: stop accepting, let in-flight requests finish up to
 * `timeoutMs`, then cut the connections left, abort the upstream calls left, close the rest (each
 * bounded) and exit 0. A second signal cuts the connections at once. Whatever happens, an unref'd
 * timer exits (1) shortly after the deadline.
 */
export function createShutdown(deps: ShutdownDeps): (signal: string) => Promise<void> {
  const { server, timeoutMs, logger } = deps;
  let closing = false;

  return async (signal) => {
    if (closing) {
      server.closeAllConnections();
      return;
    }
    closing = true;
    deps.announce?.(signal);
    logger.info({ event: 'shutdown', signal, timeoutMs }, 'shutting down');
    setTimeout(() => {
      logger.error({ event: 'shutdown_forced' }, 'shutdown overran its deadline; exiting');
      void within(flushed(logger), 50).then(() => deps.exit(1));
    }, timeoutMs + HARD_EXIT_GRACE_MS).unref();

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets with no request in flight would otherwise hold the server open.
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    const outcome = await within(closed, timeoutMs);
    clearInterval(idleSweep);
    if (outcome === 'timeout') {
      logger.warn({ event: 'shutdown_timeout' }, 'in-flight requests cut at the shutdown deadline');
      server.closeAllConnections();
      await within(closed, CLOSE_BOUND_MS);
    }
    // Requests are over or cut: an upstream call still running serves nobody.
    await within(Promise.resolve().then(deps.abortUpstream), CLOSE_BOUND_MS);
    await Promise.all(
      deps.resources.map(async ({ name, close }) => {
        if ((await within(Promise.resolve().then(close), CLOSE_BOUND_MS)) === 'timeout') {
          logger.warn(
            { event: 'shutdown_close_timeout', resource: name },
            'a resource did not close in time',
          );
        }
      }),
    );
    // The log lines are written asynchronously: exiting first would drop the last ones.
    await within(flushed(logger), CLOSE_BOUND_MS);
    deps.exit(0);
  };
}

function flushed(logger: Pick<Logger, 'flush'>): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** Waits for `work` (its failure counts as done) or `ms`, whichever comes first. */
async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
