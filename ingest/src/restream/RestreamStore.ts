import type { Redis } from 'ioredis';
import {
  restreamsKey,
  restreamStatusKey,
  type RestreamStatus,
  type StoredRestream,
} from '@stagecast/protocol';
import { restreamStatusSchema, storedRestreamSchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { readRecord } from '../core/validation.js';

/**
 * A room's restream destinations, stream keys included (the transcoder needs them), in one
 * Redis hash per room, and the statuses the transcoder reports for the live broadcast.
 */
export class RestreamStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /**
   * Adds a destination unless the room already has `max`: counted and written in one step,
   * so two hosts adding at once (on two processes) cannot pass the cap.
   */
  async add(roomId: string, restream: StoredRestream, max: number): Promise<boolean> {
    const added = await this.redis.eval(
      `if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
       redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
       return 1`,
      1,
      restreamsKey(roomId),
      restream.id,
      JSON.stringify(restream),
      String(max),
    );
    return added === 1;
  }

  async remove(roomId: string, id: string): Promise<boolean> {
    const removed = await this.redis.hdel(restreamsKey(roomId), id);
    await this.redis.hdel(restreamStatusKey(roomId), id);
    return removed === 1;
  }

  /** Oldest first. */
  async list(roomId: string): Promise<StoredRestream[]> {
    const all = await this.redis.hgetall(restreamsKey(roomId));
    return Object.entries(all)
      .map(([id, raw]) =>
        readRecord(storedRestreamSchema, raw, this.logger, 'restream', { room: roomId, id }),
      )
      .filter((r) => r !== null)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** What the transcoder last reported, by destination id (any broadcast's: the caller checks). */
  async statuses(roomId: string): Promise<Map<string, RestreamStatus>> {
    const all = await this.redis.hgetall(restreamStatusKey(roomId));
    const statuses = new Map<string, RestreamStatus>();
    for (const [id, raw] of Object.entries(all)) {
      const status = readRecord(restreamStatusSchema, raw, this.logger, 'restream status', { room: roomId });
      if (status?.id === id) statuses.set(id, status);
    }
    return statuses;
  }
}
