import type { Redis } from 'ioredis';
import { StagecastError } from '@stagecast/protocol';

/** A readiness probe must answer quickly even when Redis hangs instead of refusing. */
export const READY_PING_TIMEOUT_MS = 1000;

/**
 * Throws UNAVAILABLE unless this process can serve: Redis answers a PING within
 * {@link READY_PING_TIMEOUT_MS} and at least one mediasoup worker runs. A load balancer sends
 * new connections elsewhere meanwhile; `/healthz` stays the liveness check.
 */
export async function checkReady(redis: Redis, workers: () => number): Promise<void> {
  if (workers() < 1) throw new StagecastError('UNAVAILABLE', 'No mediasoup worker is running');
  // ioredis queues commands while disconnected; asking then would wait for the reconnect.
  if (redis.status !== 'ready') throw redisDown();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(redisDown()), READY_PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } catch {
    throw redisDown();
  } finally {
    clearTimeout(timer);
  }
}

function redisDown(): StagecastError {
  return new StagecastError('UNAVAILABLE', 'Redis does not answer');
}
