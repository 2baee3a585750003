import { Redis, type RedisOptions } from 'ioredis';
import { StagecastError } from '@stagecast/protocol';

/** When a client may try again after an outage refusal: about one reconnection attempt. */
export const REDIS_RETRY_AFTER_MS = 1000;

/**
 * Reconnects quickly and steadily (ioredis' own schedule). BullMQ's default backs off to 20 s,
 * which would keep the queue away for that long after Redis is back.
 */
const retryStrategy = (times: number): number => Math.min(times * 50, 2000);

/**
 * Options of the connections requests run on. ioredis queues commands while it reconnects, so
 * a request would hang for as long as Redis is away: here a command fails at once when there
 * is no connection, and after `timeoutMs` when Redis does not answer. Blocking commands and
 * subscriptions must not use these (see {@link notificationOptions}).
 */
export function requestOptions(timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    // A command caught by a connection loss fails instead of waiting for reconnections.
    maxRetriesPerRequest: 0,
    retryStrategy,
  };
}

/**
 * Options of the Socket.IO adapter's and other publish/subscribe connections: nobody waits for
 * them, so what is sent while Redis is away waits for the reconnection, and subscriptions are
 * made again by ioredis when it is back.
 */
export function notificationOptions(): RedisOptions {
  return { enableOfflineQueue: true, maxRetriesPerRequest: null, retryStrategy };
}

/** Resolves once the client is connected; rejects if it gives up. */
export function untilReady(client: Redis, url: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('end', () => reject(new Error(`Redis at ${url} is not reachable`)));
  });
}

/**
 * What ioredis (and BullMQ on it) throws when the command never reached Redis or got no answer:
 * no connection with the offline queue off, a closed connection, a command timeout, or a
 * connection lost with the command in flight. Replies of Redis itself (`ReplyError`) are not.
 */
const UNREACHABLE_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
];

export function isRedisUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // LOADING: a restarted Redis is still reading its append-only file.
  if (error.name === 'ReplyError') return error.message.startsWith('LOADING');
  return UNREACHABLE_MESSAGES.some((m) => error.message.includes(m));
}

/** The refusal a request gets while Redis is unreachable. */
export function redisUnavailable(): StagecastError {
  return new StagecastError(
    'UNAVAILABLE',
    'The server cannot reach its database right now; please try again in a moment',
    REDIS_RETRY_AFTER_MS,
  );
}
