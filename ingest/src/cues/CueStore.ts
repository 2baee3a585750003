import type { Redis } from 'ioredis';
import type { Cue } from '@stagecast/protocol';
import { cueSchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { readRecord } from '../core/validation.js';

/** Cues kept per broadcast: as many as its playlists keep. */
export const CUES_KEPT = 1000;
/** A broadcast's cues outlive it by this much (for a late compositor takeover, and archives). */
const CUES_TTL_S = 2 * 24 * 3600;

/** Redis list of a broadcast's cues, oldest first (JSON `Cue`). */
export const cuesKey = (roomId: string, broadcastId: string): string =>
  `stagecast:room:${roomId}:cues:${broadcastId}`;

/**
 * The cues of each broadcast, in Redis: every ingest process can list them, and a compositor
 * that (re)starts gets them again, so no cue is lost with a process.
 */
export class CueStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async add(roomId: string, cue: Cue): Promise<void> {
    const key = cuesKey(roomId, cue.broadcastId);
    await this.redis
      .multi()
      .rpush(key, JSON.stringify(cue))
      .ltrim(key, -CUES_KEPT, -1)
      .expire(key, CUES_TTL_S)
      .exec();
  }

  async list(roomId: string, broadcastId: string): Promise<Cue[]> {
    const raw = await this.redis.lrange(cuesKey(roomId, broadcastId), 0, -1);
    return raw.flatMap((entry) => readRecord(cueSchema, entry, this.logger, 'cue', { room: roomId }) ?? []);
  }
}
