// Shared by the upstream resilience suites that run through the gateway (test/upstream/gateway-*):
// a gateway with resilience on and every timing injected, an event recorder, and a leak check over
// every GraphQL response a file received.
import type { CachingOptions } from '../../src/cache/caching-user-api.js';
import type { UpstreamEvents } from '../../src/upstream/events.js';
import type { BreakerOptions, RetryOptions } from '../../src/upstream/resilience.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { DEMO_CLIENTS } from '../../src/emulator/demo-clients.js';
import { startTestGateway, type TestGateway } from './gateway.js';
import type { GraphQLResponse } from './http.js';
import type { UpstreamOptions } from '../../src/upstream/create-upstream.js';

export interface RecordedEvents extends UpstreamEvents {
  requests: { route: string; status: number; attempt?: number; batchSize?: number }[];
  tokens: boolean[];
  retries: string[];
  states: string[];
}

export function recordEvents(): RecordedEvents {
  const recorded: RecordedEvents = {
    requests: [],
    tokens: [],
    retries: [],
    states: [],
    request: ({ route, status, attempt, batchSize, durationMs }) => {
      expect(durationMs).toBeGreaterThanOrEqual(0);
      recorded.requests.push({
        route,
        status,
        ...(attempt === undefined ? {} : { attempt }),
        ...(batchSize === undefined ? {} : { batchSize }),
      });
    },
    tokenFetch: ({ ok }) => void recorded.tokens.push(ok),
    retry: ({ route, attempt, reason }) => void recorded.retries.push(`${route} #${attempt} ${reason}`),
    breakerState: ({ state }) => void recorded.states.push(state),
  };
  return recorded;
}

export interface ResilientGateway extends TestGateway {
  events: RecordedEvents;
  /** Every wait the retry policy asked for, in ms (none is really waited). */
  sleeps: number[];
  /** Moves the breaker's and the budget's clock. */
  advance(ms: number): void;
}

/**
 * startTestGateway with resilience on: no real backoff (sleep is recorded, not waited), a clock
 * moved by hand, the breaker off unless asked for.
 */
export async function startResilientGateway(
  options: {
    retry?: RetryOptions;
    breaker?: BreakerOptions | false;
    emulator?: EmulatorOptions;
    upstream?: Partial<Omit<UpstreamOptions, 'clientId' | 'clientSecret' | 'resilience' | 'events'>>;
    operationDeadlineMs?: number;
    /** On a loopback port (see startTestGateway), for a client that disconnects. */
    listen?: boolean;
    /** A cache (and its quota guard) in front of the upstream; the caller closes it. */
    cache?: CachingOptions;
  } = {},
): Promise<ResilientGateway> {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const events = recordEvents();
  const gateway = await startTestGateway({
    listen: options.listen ?? false,
    emulator: options.emulator,
    ...(options.cache ? { cache: options.cache } : {}),
    app:
      options.operationDeadlineMs === undefined ? {} : { operationDeadlineMs: options.operationDeadlineMs },
    upstream: {
      timeoutMs: 2_000,
      ...options.upstream,
      events,
      resilience: {
        retry: { maxAttempts: 3, ...options.retry },
        breaker: options.breaker ?? false,
        random: () => 0.5,
        now: () => now,
        sleep: async (ms) => void sleeps.push(ms),
      },
    },
  });
  return { ...gateway, events, sleeps, advance: (ms) => void (now += ms) };
}

/** Every response a file received, for its final leak check. */
export class ResponseLog {
  readonly texts: string[] = [];

  async post(gateway: TestGateway, query: string, variables?: Record<string, unknown>) {
    const response: GraphQLResponse = await gateway.post(query, variables);
    this.texts.push(JSON.stringify(response));
    return response;
  }

  /** Markers found in any response: secrets, JWTs, auth schemes, hosts, upstream body text. */
  leaks(extra: readonly string[] = []): string[] {
    const markers = [
      ...DEMO_CLIENTS.map((c) => c.clientSecret),
      'eyJ', // every JWT starts so
      'Bearer',
      'Basic ',
      '127.0.0.1',
      'localhost',
      'iroh',
      'injected fault',
      'error_description',
      'trace_id',
      'unknown-exception',
      '<html',
      'Bad Gateway',
      'stack',
      ...extra,
    ];
    return this.texts.flatMap((text) =>
      markers.filter((m) => text.includes(m)).map((m) => `${m} in ${text}`),
    );
  }
}

export const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
