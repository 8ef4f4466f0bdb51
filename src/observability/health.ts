// Liveness and readiness. Probes come every few seconds from every replica's orchestrator, and every
// upstream call counts against the org's hourly quota, so readiness is cached and spends no call at
// all while real traffic already shows the upstream answering.
import type { UpstreamEvents } from '../upstream/events.js';
import { UpstreamError } from '../upstream/errors.js';
import type { TokenSource } from '../upstream/token-manager.js';
import type { UserApi } from '../upstream/user-api.js';

export const DEFAULT_READINESS_CACHE_MS = 10_000;

/** The body of GET /readyz: names of checks and outcomes only, never a URL, a message or a secret. */
export interface ReadinessReport {
  status: 'ready' | 'unready';
  checks: { token: CheckOutcome; upstream: CheckOutcome };
}

/** `ok`, `skipped` (an earlier check failed), or the failure's kind (e.g. `unavailable`, `timeout`). */
export type CheckOutcome = string;

export interface ReadinessOptions {
  /**
   * What to check, resolved at each check: the upstream is usually created after the readiness,
   * since it needs `events`.
   */
  probe: () => { tokenManager: TokenSource; api: Pick<UserApi, 'whoami'> };
  /** How long one outcome is served to every probe. Default 10 000; 0 checks on every probe. */
  cacheMs?: number;
  /** Deadline of one check. Default 5 000. */
  timeoutMs?: number;
  now?: () => number;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
  /**
   * Pass to the upstream (through combineEvents): an upstream answer seen in the last `cacheMs`
   * stands in for the whoami probe call.
   */
  events: UpstreamEvents;
}

export function createReadiness(options: ReadinessOptions): Readiness {
  const cacheMs = options.cacheMs ?? DEFAULT_READINESS_CACHE_MS;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  let lastAnswerAt = Number.NEGATIVE_INFINITY;
  let cached: { report: ReadinessReport; at: number } | undefined;
  let inflight: Promise<ReadinessReport> | undefined;

  const run = async (): Promise<ReadinessReport> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const { tokenManager, api } = options.probe();
    try {
      // Free while the cached token is valid; otherwise this is the token request the next
      // operation would have made anyway.
      await tokenManager.getToken({ signal });
    } catch (error) {
      return { status: 'unready', checks: { token: outcomeOf(error), upstream: 'skipped' } };
    }
    if (now() - lastAnswerAt >= cacheMs) {
      try {
        await api.whoami({ signal });
      } catch (error) {
        return { status: 'unready', checks: { token: 'ok', upstream: outcomeOf(error) } };
      }
    }
    return { status: 'ready', checks: { token: 'ok', upstream: 'ok' } };
  };

  return {
    async check() {
      if (cached && now() - cached.at < cacheMs) return cached.report;
      // Single flight: a burst of probes makes one check.
      inflight ??= run().finally(() => {
        inflight = undefined;
      });
      const report = await inflight;
      cached = { report, at: now() };
      return report;
    },
    events: {
      request(event) {
        // Any answer of the API itself (not the token route) that is not a server failure, a
        // throttle or a credential problem shows the upstream up.
        const s = event.status;
        if (event.route !== 'token' && s >= 200 && s < 500 && s !== 401 && s !== 429) lastAnswerAt = now();
      },
      tokenFetch() {},
      retry() {},
      breakerState() {},
    },
  };
}

function outcomeOf(error: unknown): CheckOutcome {
  return error instanceof UpstreamError ? error.kind : 'failed';
}

/** GET /healthz: the process is alive and serving HTTP. */
export function healthReport(): { status: 'ok'; uptimeSec: number } {
  return { status: 'ok', uptimeSec: Math.round(process.uptime()) };
}
