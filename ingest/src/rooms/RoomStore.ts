import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { STAGE_ENTRIES, type LinkKind, type StageEntry } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { readRecord } from '../core/validation.js';

/** A room as stored in Redis: shared by every ingest process. */
export interface RoomRecord {
  id: string;
  name: string;
  createdAt: string;
  codes: Record<'host' | 'cohost' | 'viewer', string>;
  /** Where promoted viewers arrive on stage; absent in rooms made before it existed (backstage). */
  stageEntry?: StageEntry;
}

const roomRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  codes: z.object({ host: z.string(), cohost: z.string(), viewer: z.string() }),
  stageEntry: z.enum(STAGE_ENTRIES).optional(),
}) satisfies z.ZodType<RoomRecord>;

const roomKey = (id: string) => `stagecast:room:${id}`;
const codeKey = (code: string) => `stagecast:code:${code}`;
/** Hash link kind → generation (absent: 0); rotating a link bumps its generation. */
const linksKey = (id: string) => `stagecast:room:${id}:links`;
const ROOMS_KEY = 'stagecast:rooms';

const randomId = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Rooms, their role link codes and the links' generations, in Redis. */
export class RoomStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async create(name: string, settings: { stageEntry?: StageEntry } = {}): Promise<RoomRecord> {
    const record: RoomRecord = {
      id: randomId(8),
      name,
      createdAt: new Date().toISOString(),
      // 128 bits each: a link is as good as a password.
      codes: { host: randomId(16), cohost: randomId(16), viewer: randomId(16) },
      ...(settings.stageEntry ? { stageEntry: settings.stageEntry } : {}),
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

  /** Resolves a role link code to its room, role and the link's current generation. */
  async resolveCode(code: string): Promise<{ roomId: string; role: LinkKind; gen: number } | null> {
    const value = await this.redis.get(codeKey(code));
    if (!value) return null;
    const [roomId, role] = value.split(':') as [string, LinkKind];
    return { roomId, role, gen: await this.generation(roomId, role) };
  }

  /** The link's current generation: tokens of an older one are refused. */
  async generation(id: string, link: LinkKind): Promise<number> {
    return Number((await this.redis.hget(linksKey(id), link)) ?? 0);
  }

  /**
   * Gives the link a new code (the old one stops resolving) and a new generation (tokens made
   * from the old one stop admitting anyone). Answers the updated record and the new generation.
   */
  async rotate(record: RoomRecord, link: LinkKind): Promise<{ record: RoomRecord; gen: number }> {
    const old = record.codes[link];
    const updated: RoomRecord = { ...record, codes: { ...record.codes, [link]: randomId(16) } };
    const results = await this.redis
      .multi()
      .set(roomKey(record.id), JSON.stringify(updated))
      .del(codeKey(old))
      .set(codeKey(updated.codes[link]), `${record.id}:${link}`)
      .hincrby(linksKey(record.id), link, 1)
      .exec();
    const gen = Number(results?.[3]?.[1] ?? 0);
    return { record: updated, gen };
  }

  /** Changes where promoted viewers arrive on stage; false when the room does not exist. */
  async setStageEntry(id: string, stageEntry: StageEntry): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    // XX: a room deleted meanwhile is not brought back.
    const done = await this.redis.set(roomKey(id), JSON.stringify({ ...record, stageEntry }), 'XX');
    return done === 'OK';
  }

  async delete(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    const tx = this.redis.multi().del(roomKey(id)).srem(ROOMS_KEY, id);
    for (const code of Object.values(record.codes)) tx.del(codeKey(code));
    await tx.exec();
    return true;
  }
}
