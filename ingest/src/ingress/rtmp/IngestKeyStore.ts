import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { readRecord } from '../../core/validation.js';

/** An RTMP ingest key as listed: never the stream key itself, which is shown once. */
export interface IngestKey {
  id: string;
  roomId: string;
  /** The participant's name on stage. */
  name: string;
  createdAt: number;
}

const ingestKeySchema = z.object({
  id: z.string(),
  roomId: z.string(),
  name: z.string(),
  createdAt: z.number(),
  keyHash: z.string(),
});

/** The room's keys: key id → record (under the room's prefix, so deleting the room purges them). */
const roomKeys = (roomId: string) => `stagecast:room:${roomId}:ingest-keys`;
/** Stream key hash → `roomId key-id`: how a publisher's key finds its room. */
const lookupKey = (keyHash: string) => `stagecast:ingest-key:${keyHash}`;

const hash = (streamKey: string) => createHash('sha256').update(streamKey).digest('hex');

/**
 * RTMP ingest keys in Redis. Only a hash of each stream key is kept: a read of Redis (or a
 * log line) gives nobody a key that publishes.
 */
export class IngestKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /** A new key; the stream key is in the answer only. */
  async create(roomId: string, name: string): Promise<{ key: IngestKey; streamKey: string }> {
    const id = randomBytes(9).toString('base64url');
    // Letters, digits, `-` and `_` only: nginx-rtmp and OBS take it as a stream name as it is.
    const streamKey = `sk_${randomBytes(24).toString('base64url')}`;
    const key: IngestKey = { id, roomId, name, createdAt: Date.now() };
    const keyHash = hash(streamKey);
    await this.redis
      .multi()
      .hset(roomKeys(roomId), id, JSON.stringify({ ...key, keyHash }))
      .set(lookupKey(keyHash), `${roomId} ${id}`)
      .exec();
    return { key, streamKey };
  }

  async list(roomId: string): Promise<IngestKey[]> {
    const all = await this.redis.hvals(roomKeys(roomId));
    return all
      .map((raw) => this.read(roomId, raw))
      .filter((k) => k !== null)
      .map(({ keyHash: _hash, ...key }) => key)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Revokes a key; false if the room had no such key. */
  async delete(roomId: string, id: string): Promise<boolean> {
    const record = this.read(roomId, await this.redis.hget(roomKeys(roomId), id));
    if (!record) return false;
    await this.redis.multi().hdel(roomKeys(roomId), id).del(lookupKey(record.keyHash)).exec();
    return true;
  }

  /** The key a publisher presents, if it is still valid (its room's record holds it). */
  async find(streamKey: string): Promise<IngestKey | null> {
    const keyHash = hash(streamKey);
    const target = await this.redis.get(lookupKey(keyHash));
    const [roomId, id] = target?.split(' ') ?? [];
    if (!roomId || !id) return null;
    const record = this.read(roomId, await this.redis.hget(roomKeys(roomId), id));
    // A deleted room's keys go with its prefix; the lookup left behind admits nothing.
    if (!record || record.keyHash !== keyHash) return null;
    const { keyHash: _hash, ...key } = record;
    return key;
  }

  private read(roomId: string, raw: string | null | undefined) {
    return readRecord(ingestKeySchema, raw, this.logger, 'ingest key', { room: roomId });
  }
}
