import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { hlsLayout } from '@stagecast/protocol';
import { StagecastError } from '../core/errors.js';
import { isEntityId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';

export interface RoomPurgeSettings {
  dataDir: string;
  /** Whether a deleted room's recordings (`vod/<room>/`) go too; its live HLS folder always goes. */
  deleteRecordings: boolean;
}

/**
 * What is left of a deleted room once its features have stopped: every Redis key named after
 * it (the stores' own keys and the per-room rate-limit counters) and its HLS files. Keys are
 * found by pattern rather than listed store by store, so that a key a feature adds later
 * cannot be forgotten here. A room id is letters, digits, `-` and `_`: no glob characters.
 */
export class RoomPurge {
  constructor(
    private readonly redis: Redis,
    private readonly settings: RoomPurgeSettings,
    private readonly logger: Logger,
  ) {}

  async purge(roomId: string): Promise<void> {
    if (!isEntityId(roomId)) throw new StagecastError('BAD_REQUEST', 'Not a valid room id');
    const removed =
      (await this.deleteMatching(`stagecast:room:${roomId}:*`)) +
      (await this.deleteMatching(`stagecast:rate:*:${roomId}:*`));
    const folders = [hlsLayout.liveDir(roomId)];
    if (this.settings.deleteRecordings) folders.push(`${hlsLayout.recordingsRoot}/${roomId}`);
    for (const folder of folders)
      await rm(join(this.settings.dataDir, folder), { recursive: true, force: true });
    this.logger.info({ room: roomId, keys: removed, folders }, 'deleted room purged');
  }

  /** SCAN, not KEYS: a large Redis is not blocked while a room goes. */
  private async deleteMatching(pattern: string): Promise<number> {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) removed += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }
}
