import type { Redis } from 'ioredis';
import type { BroadcastProgress } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { parseJsonOrUndefined } from '../core/validation.js';
import { storedProgressSchema } from './schemas.js';

/** Redis key of the compositor's last progress report for a room. */
export const progressKey = (roomId: string): string => `stagecast:room:${roomId}:progress`;

/**
 * How long a report stays: the compositor reports every second or so, so a key that outlives
 * this belongs to a compositor that died, and its figures must not pass for the picture on air.
 */
export const PROGRESS_TTL_MS = 30_000;

/** The compositor's latest figures per room, shared by every ingest process (REST reads them). */
export class ProgressStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async save(roomId: string, broadcastId: string, progress: BroadcastProgress): Promise<void> {
    await this.redis.set(
      progressKey(roomId),
      JSON.stringify({ broadcastId, progress }),
      'PX',
      PROGRESS_TTL_MS,
    );
  }

  /** The last report of that broadcast, or null (none, expired, or another broadcast's). */
  async get(roomId: string, broadcastId: string): Promise<BroadcastProgress | null> {
    const raw = await this.redis.get(progressKey(roomId));
    if (raw === null) return null;
    const parsed = storedProgressSchema.safeParse(parseJsonOrUndefined(raw));
    if (!parsed.success) {
      this.logger.warn({ room: roomId }, 'ignored a malformed progress record in Redis');
      return null;
    }
    return parsed.data.broadcastId === broadcastId ? parsed.data.progress : null;
  }

  async delete(roomId: string): Promise<void> {
    await this.redis.del(progressKey(roomId));
  }
}
