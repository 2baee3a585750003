import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { HandEntry } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { readRecord } from '../core/validation.js';

const base = (roomId: string) => `stagecast:room:${roomId}:hands`;
export const handKeys = {
  /** Sorted set: member peerId, score = a per-room sequence number (strict FIFO, no clock ties). */
  order: (roomId: string) => base(roomId),
  /** Hash peerId → {name, raisedAt} JSON. */
  entries: (roomId: string) => `${base(roomId)}:entries`,
  /** Hash peerId → question (kept apart so that re-raising can update it without touching the entry). */
  questions: (roomId: string) => `${base(roomId)}:questions`,
  /** Counter giving the sequence numbers. */
  seq: (roomId: string) => `${base(roomId)}:seq`,
};

interface StoredHand {
  name: string;
  raisedAt: number;
}

const storedHandSchema = z.object({ name: z.string(), raisedAt: z.number() }) satisfies z.ZodType<StoredHand>;

/** Adds a hand at the back unless it is already up (it keeps its place); sets the question if given. */
const RAISE = new LuaScript(`
local added = 0
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[4]), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('HDEL', KEYS[3], ARGV[1])
  added = 1
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) end
return added
`);

/** Removes a hand; returns its 0-based rank before removal, or -1 if it was not up. */
const LOWER = new LuaScript(`
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then return -1 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return rank
`);

/** Removes every hand; returns the peer ids that were up. */
const LOWER_ALL = new LuaScript(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return ids
`);

/** Reads the queue in one step so that entries and order agree. */
const READ = new LuaScript(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for i, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
end
return out
`);

/** A room's raised hands, first come first served, in Redis (shared by all ingest processes). */
export class HandQueue {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  private keys(roomId: string): string[] {
    return [
      handKeys.order(roomId),
      handKeys.entries(roomId),
      handKeys.questions(roomId),
      handKeys.seq(roomId),
    ];
  }

  /** Returns true if the hand was not up before. */
  async raise(roomId: string, peerId: string, name: string, question: string | undefined): Promise<boolean> {
    const stored: StoredHand = { name, raisedAt: Date.now() };
    const added = await RAISE.run(this.redis, this.keys(roomId), [
      peerId,
      JSON.stringify(stored),
      question ?? '',
    ]);
    return added === 1;
  }

  /** Returns the 1-based position the hand had, or null if it was not up. */
  async lower(roomId: string, peerId: string): Promise<number | null> {
    const rank = (await LOWER.run(this.redis, this.keys(roomId).slice(0, 3), [peerId])) as number;
    return rank < 0 ? null : rank + 1;
  }

  async lowerAll(roomId: string): Promise<string[]> {
    return (await LOWER_ALL.run(this.redis, this.keys(roomId).slice(0, 3), [])) as string[];
  }

  async list(roomId: string): Promise<HandEntry[]> {
    const flat = (await READ.run(this.redis, this.keys(roomId).slice(0, 3), [])) as string[];
    const queue: HandEntry[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const [peerId, raw, question] = [flat[i] ?? '', flat[i + 1] ?? '', flat[i + 2] ?? ''];
      // A hand whose entry is unreadable is left out, as one whose entry is missing.
      const stored = readRecord(storedHandSchema, raw || null, this.logger, 'raised hand', {
        room: roomId,
        peer: peerId,
      });
      if (!stored) continue;
      const entry: HandEntry = {
        peerId,
        name: stored.name,
        raisedAt: stored.raisedAt,
        position: queue.length + 1,
      };
      if (question) entry.question = question;
      queue.push(entry);
    }
    return queue;
  }

  async raisedPeerIds(roomId: string): Promise<Set<string>> {
    return new Set(await this.redis.zrange(handKeys.order(roomId), 0, -1));
  }

  async isRaised(roomId: string, peerId: string): Promise<boolean> {
    return (await this.redis.zscore(handKeys.order(roomId), peerId)) !== null;
  }
}
