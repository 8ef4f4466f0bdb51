import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

// Cache coherence across replicas on one Redis: each replica's short-lived local tier drops the users
// another replica changed. A write publishes the ids on CHANNEL and waits until every other
// replica subscribed to it has dropped them and said so, so that after updateUser returns no replica
// serves the old user from its local tier while Redis is up. Plain pub/sub rather than keyspace
// events, which need a server setting (notify-keyspace-events) a managed Redis may not allow.

const CHANNEL = 'xdr-gw:invalidate';
const ackChannel = (replica: string) => `${CHANNEL}:ack:${replica}`;

interface Invalidation {
  from: string;
  nonce: string;
  orgId: string;
  ids: string[];
}

function parse(message: string): Invalidation | undefined {
  try {
    const value = JSON.parse(message) as Partial<Invalidation>;
    const { from, nonce, orgId, ids } = value;
    if (typeof from !== 'string' || typeof nonce !== 'string' || typeof orgId !== 'string') return undefined;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) return undefined;
    return { from, nonce, orgId, ids };
  } catch {
    return undefined;
  }
}

export interface Invalidations {
  /** Resolves once subscribed: before that, this replica would not hear the others' writes. */
  ready(): Promise<void>;
  /**
   * Tells the other replicas to drop these users from their local tier, and resolves once each has
   * acknowledged, or after the wait (a replica that is stuck keeps them at most its local TTL).
   */
  publish(orgId: string, ids: readonly string[]): Promise<void>;
  close(): void;
}

export interface InvalidationsOptions {
  /** The store's connection: publishes go out on it. */
  redis: Redis;
  /** Drops users from this replica's local tier when another replica changed them. */
  drop(orgId: string, ids: readonly string[]): Promise<void>;
  logger: Pick<Logger, 'warn'>;
  /** How long a write waits for the other replicas' acknowledgements. Default 250 ms. */
  ackTimeoutMs?: number;
}

export function createInvalidations(options: InvalidationsOptions): Invalidations {
  const replica = randomUUID();
  const ackTimeoutMs = options.ackTimeoutMs ?? 250;
  // Subscribing takes a connection of its own; it resubscribes by itself after a reconnection.
  const subscriber = options.redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
  subscriber.on('error', () => {});
  const waiting = new Map<string, { acks: number; expected?: number; done: () => void }>();
  let warned = false;

  subscriber.on('message', (channel: string, message: string) => {
    if (channel === ackChannel(replica)) {
      const wait = waiting.get(message);
      if (wait && ++wait.acks >= (wait.expected ?? Number.POSITIVE_INFINITY)) wait.done();
      return;
    }
    const invalidation = parse(message);
    if (!invalidation || invalidation.from === replica) return;
    void options
      .drop(invalidation.orgId, invalidation.ids)
      .then(() => options.redis.publish(ackChannel(invalidation.from), invalidation.nonce).catch(() => {}));
  });
  const subscribed = subscriber.subscribe(CHANNEL, ackChannel(replica));
  subscribed.catch(() => {});

  return {
    ready: () => subscribed.then(() => undefined),
    async publish(orgId, ids) {
      if (ids.length === 0) return;
      const nonce = randomUUID();
      const message: Invalidation = { from: replica, nonce, orgId, ids: [...ids] };
      let done = () => {};
      const acknowledged = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ackTimeoutMs);
        done = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      // Registered before publishing: an acknowledgement may arrive before publish resolves.
      const wait: { acks: number; expected?: number; done: () => void } = { acks: 0, done };
      waiting.set(nonce, wait);
      try {
        // Every subscriber receives it, this replica's own included.
        const others = (await options.redis.publish(CHANNEL, JSON.stringify(message))) - 1;
        wait.expected = others;
        if (wait.acks >= others) return;
        if (!(await acknowledged) && !warned) {
          warned = true;
          options.logger.warn(
            { event: 'cache_invalidation_unacknowledged', replicas: others, waitedMs: ackTimeoutMs },
            'A replica did not confirm dropping changed users within the wait; it may serve them until its local TTL ends',
          );
        }
      } finally {
        waiting.delete(nonce);
      }
    },
    close() {
      for (const wait of waiting.values()) wait.done();
      subscriber.disconnect();
    },
  };
}
