/**
 * The logging the upstream code needs: pino-compatible (`logger.child(...)` of pino fits), so the
 * gateway can pass its own logger and tests can pass nothing. Objects passed here never carry a
 * token, a secret, an upstream body or a URL.
 */
export interface UpstreamLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export const NOOP_LOGGER: UpstreamLogger = {
  debug() {},
  warn() {},
};
