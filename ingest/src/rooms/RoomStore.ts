import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Role } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { readRecord } from '../core/validation.js';

/** A room as stored in Redis: shared by every ingest process. */
export interface RoomRecord {
  id: string;
  name: string;
  createdAt: string;
  codes: Record<'host' | 'cohost' | 'viewer', string>;
}

const roomRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  codes: z.object({ host: z.string(), cohost: z.string(), viewer: z.string() }),
}) satisfies z.ZodType<RoomRecord>;

const roomKey = (id: string) => `stagecast:room:${id}`;
const codeKey = (code: string) => `stagecast:code:${code}`;
const bansKey = (id: string) => `stagecast:room:${id}:bans`;
const ROOMS_KEY = 'stagecast:rooms';

const randomId = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Rooms, their role codes and their ban lists, in Redis. */
export class RoomStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async create(name: string): Promise<RoomRecord> {
    const record: RoomRecord = {
      id: randomId(8),
      name,
      createdAt: new Date().toISOString(),
      // 128 bits each: a link is as good as a password.
      codes: { host: randomId(16), cohost: randomId(16), viewer: randomId(16) },
    };
    const tx = this.redis.multi().set(roomKey(record.id), JSON.stringify(record)).sadd(ROOMS_KEY, record.id);
    for (const [role, code] of Object.entries(record.codes)) tx.set(codeKey(code), `${record.id}:${role}`);
    await tx.exec();
    return record;
  }

  async get(id: string): Promise<RoomRecord | null> {
    return readRecord(roomRecordSchema, await this.redis.get(roomKey(id)), this.logger, 'room', { room: id });
  }

  async list(): Promise<string[]> {
    return this.redis.smembers(ROOMS_KEY);
  }

  /** Resolves a role link code to its room and role. */
  async resolveCode(code: string): Promise<{ roomId: string; role: Role } | null> {
    const value = await this.redis.get(codeKey(code));
    if (!value) return null;
    const [roomId, role] = value.split(':') as [string, Role];
    return { roomId, role };
  }

  async delete(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    const tx = this.redis.multi().del(roomKey(id), bansKey(id)).srem(ROOMS_KEY, id);
    for (const code of Object.values(record.codes)) tx.del(codeKey(code));
    await tx.exec();
    return true;
  }

  /** Bans a peer id and a display name (case-insensitive) from a room. */
  async ban(id: string, peerId: string, name: string): Promise<void> {
    await this.redis.sadd(bansKey(id), `peer:${peerId}`, `name:${name.trim().toLowerCase()}`);
  }

  async isBanned(id: string, peerId: string, name: string): Promise<boolean> {
    const [byPeer, byName] = await this.redis.smismember(
      bansKey(id),
      `peer:${peerId}`,
      `name:${name.trim().toLowerCase()}`,
    );
    return byPeer === 1 || byName === 1;
  }
}
