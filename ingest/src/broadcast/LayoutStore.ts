import type { Redis } from 'ioredis';
import { DEFAULT_LAYOUT, type LayoutChoice } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { parseJsonOrUndefined } from '../core/validation.js';
import { layoutChoiceSchema } from '@stagecast/protocol/schemas';

/** Redis key of a room's layout choice (JSON `LayoutChoice`). */
export const layoutKey = (roomId: string): string => `stagecast:room:${roomId}:layout`;

/**
 * The layout hosts chose for each room, in Redis so that every ingest process (and so every
 * compositor snapshot, whoever sends it) agrees on it. No key means the default layout.
 */
export class LayoutStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async get(roomId: string): Promise<LayoutChoice> {
    const raw = await this.redis.get(layoutKey(roomId));
    if (raw === null) return { ...DEFAULT_LAYOUT };
    const parsed = layoutChoiceSchema.safeParse(parseJsonOrUndefined(raw));
    if (parsed.success) return parsed.data;
    // A broken record must not break joins or the broadcast: it reads as the default.
    this.logger.warn({ room: roomId }, 'ignored a malformed layout choice in Redis');
    return { ...DEFAULT_LAYOUT };
  }

  async set(roomId: string, choice: LayoutChoice): Promise<void> {
    await this.redis.set(layoutKey(roomId), JSON.stringify(choice));
  }

  async delete(roomId: string): Promise<void> {
    await this.redis.del(layoutKey(roomId));
  }
}
