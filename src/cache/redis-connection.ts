import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

// What the cache's store and the fleet's quota share about Redis: how a connection is made, and how
// each falls back to process memory while Redis does not answer and returns to it once it does.

/**
 * A connection that fails a command at once rather than queue it while disconnected (the caller's
 * fallback answers instead), and keeps reconnecting in the background.
 */
export function connectRedis(url: string, commandTimeoutMs = 500): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // ioredis reports connection errors as events too; the users of the connection log their own.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once `redis` is connected, or rejects with the first connection error; for tests and start-up. */
export const whenConnected = (redis: Redis): Promise<void> =>
  redis.status === 'ready'
    ? Promise.resolve()
    : new Promise<void>((resolve, reject) => {
        redis.once('ready', () => resolve());
        redis.once('error', reject);
      });

export interface FallbackEvents {
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Logged once when Redis stops answering, with the reason. */
  down: { event: string; message: string };
  /** Logged once when it answers again. */
  up: { event: string; message: string };
  /** Errors that are answers, not Redis failing (the quota's refusals): passed on as they are. */
  isAnswer?: (error: unknown) => boolean;
}

export type Attempt = <T>(viaRedis: () => Promise<T>, viaFallback: () => T | Promise<T>) => Promise<T>;

/**
 * Runs each call through Redis while it answers, else through the fallback. The calls of a starting
 * process wait for the first connection (at most its one-second timeout) rather than fall back at once.
 */
export function redisOrFallback(redis: Redis, events: FallbackEvents): Attempt {
  let down = false;
  const firstConnection = new Promise<void>((resolve) => {
    redis.once('ready', () => resolve());
    redis.once('end', () => resolve());
    setTimeout(resolve, 1_000).unref();
  });
  const markDown = (error: unknown) => {
    if (down) return;
    down = true;
    const reason = error instanceof Error ? error.message : String(error);
    events.logger.warn({ event: events.down.event, reason }, events.down.message);
  };
  return async (viaRedis, viaFallback) => {
    if (redis.status === 'connecting' || redis.status === 'wait') await firstConnection;
    if (redis.status === 'ready') {
      try {
        const result = await viaRedis();
        if (down) {
          down = false;
          events.logger.info({ event: events.up.event }, events.up.message);
        }
        return result;
      } catch (error) {
        if (events.isAnswer?.(error)) throw error;
        markDown(error);
      }
    } else {
      markDown(new Error(`redis connection is ${redis.status}`));
    }
    return viaFallback();
  };
}
