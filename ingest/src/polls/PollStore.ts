import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Poll, PollResults, PollVote } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { readRecord } from '../core/validation.js';

const base = (roomId: string) => `stagecast:room:${roomId}:polls`;
export const pollKeys = {
  /** Sorted set: poll id, score = creation time. */
  index: (roomId: string) => base(roomId),
  /** The id of the room's open poll. */
  open: (roomId: string) => `${base(roomId)}:open`,
  /** Hash: `def` (the poll as created, JSON), `state`, `closedAt`, `shared`. */
  poll: (roomId: string, pollId: string) => `${base(roomId)}:${pollId}`,
  /** Hash voter key → chosen option indexes (`0,2`). */
  votes: (roomId: string, pollId: string) => `${base(roomId)}:${pollId}:votes`,
  /** Hash peer id → name, for polls that are not anonymous. */
  names: (roomId: string, pollId: string) => `${base(roomId)}:${pollId}:names`,
  /** Hash option index → votes, and `voters` → people who voted. */
  counts: (roomId: string, pollId: string) => `${base(roomId)}:${pollId}:counts`,
};

/** Polls kept per room; older ones are dropped when a new one opens. */
export const MAX_POLLS_PER_ROOM = 100;

/** What never changes after creation. */
export interface PollDefinition {
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  showResults: boolean;
  createdAt: number;
  createdBy: { peerId: string; name: string } | null;
}

const definitionSchema = z.object({
  question: z.string(),
  options: z.array(z.string()),
  multiple: z.boolean(),
  anonymous: z.boolean(),
  showResults: z.boolean(),
  createdAt: z.number(),
  createdBy: z.object({ peerId: z.string(), name: z.string() }).nullable(),
}) satisfies z.ZodType<PollDefinition>;

/**
 * Opens a poll unless one is open; returns '' or the id of the poll already open. KEYS[4] is
 * the prefix of the room's poll keys: the open poll's record is named from the id read here.
 */
const CREATE = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current and redis.call('HGET', KEYS[4] .. current, 'state') == 'open' then return current end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], 'def', ARGV[2], 'state', 'open', 'shared', '0')
return ''
`);

/**
 * Records one person's vote in one step: the poll must be open (-1 closed, -2 unknown); a
 * previous vote of the same voter is taken out of the counts before the new one goes in, so
 * two votes of one person, from any number of processes at once, count once.
 */
const VOTE = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -2 end
if state ~= 'open' then return -1 end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  for i in string.gmatch(old, '%d+') do redis.call('HINCRBY', KEYS[3], i, -1) end
else
  redis.call('HINCRBY', KEYS[3], 'voters', 1)
end
for i in string.gmatch(ARGV[2], '%d+') do redis.call('HINCRBY', KEYS[3], i, 1) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[4], ARGV[1], ARGV[3]) end
return 1
`);

/** Closes an open poll: 1 closed now, 0 already closed, -2 unknown. */
const CLOSE = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -2 end
if state ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'closed', 'closedAt', ARGV[2], 'shared', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`);

/** A room's polls and votes in Redis, shared by every ingest process. */
export class PollStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /** Opens a poll; returns the id of the open poll that prevented it, or null. */
  async create(roomId: string, pollId: string, def: PollDefinition): Promise<string | null> {
    const keys = [
      pollKeys.open(roomId),
      pollKeys.index(roomId),
      pollKeys.poll(roomId, pollId),
      `${base(roomId)}:`,
    ];
    const blocking = (await CREATE.run(this.redis, keys, [
      pollId,
      JSON.stringify(def),
      def.createdAt,
    ])) as string;
    if (blocking !== '') return blocking;
    await this.trim(roomId);
    return null;
  }

  /** 1 counted, -1 the poll is closed, -2 no such poll. */
  async vote(
    roomId: string,
    pollId: string,
    voterKey: string,
    choices: number[],
    name: string | null,
  ): Promise<number> {
    const keys = [
      pollKeys.poll(roomId, pollId),
      pollKeys.votes(roomId, pollId),
      pollKeys.counts(roomId, pollId),
      pollKeys.names(roomId, pollId),
    ];
    return (await VOTE.run(this.redis, keys, [voterKey, choices.join(','), name ?? ''])) as number;
  }

  /** 1 closed now, 0 was closed already, -2 no such poll. */
  async close(roomId: string, pollId: string, share: boolean): Promise<number> {
    const keys = [pollKeys.poll(roomId, pollId), pollKeys.open(roomId)];
    return (await CLOSE.run(this.redis, keys, [pollId, Date.now(), share ? '1' : '0'])) as number;
  }

  /** The poll with its results (callers blank them for those who may not see them). */
  async get(roomId: string, pollId: string): Promise<Poll | null> {
    const [record, counts] = await Promise.all([
      this.redis.hgetall(pollKeys.poll(roomId, pollId)),
      this.redis.hgetall(pollKeys.counts(roomId, pollId)),
    ]);
    const def = readRecord(definitionSchema, record.def, this.logger, 'poll', { room: roomId, poll: pollId });
    if (!def) return null;
    const poll: Poll = {
      id: pollId,
      question: def.question,
      options: def.options,
      multiple: def.multiple,
      anonymous: def.anonymous,
      showResults: def.showResults,
      state: record.state === 'open' ? 'open' : 'closed',
      createdAt: def.createdAt,
      resultsShared: record.shared === '1',
      createdBy: def.createdBy,
      results: toResults(pollId, def.options.length, counts),
    };
    if (record.closedAt) poll.closedAt = Number(record.closedAt);
    return poll;
  }

  async results(roomId: string, pollId: string, options: number): Promise<PollResults> {
    return toResults(pollId, options, await this.redis.hgetall(pollKeys.counts(roomId, pollId)));
  }

  async openPollId(roomId: string): Promise<string | null> {
    return this.redis.get(pollKeys.open(roomId));
  }

  /** Newest first. */
  async list(roomId: string): Promise<Poll[]> {
    const ids = await this.redis.zrevrange(pollKeys.index(roomId), 0, MAX_POLLS_PER_ROOM - 1);
    const polls = await Promise.all(ids.map((id) => this.get(roomId, id)));
    return polls.filter((p): p is Poll => p !== null);
  }

  async choicesOf(roomId: string, pollId: string, voterKey: string): Promise<number[] | null> {
    const raw = await this.redis.hget(pollKeys.votes(roomId, pollId), voterKey);
    return raw === null ? null : parseChoices(raw);
  }

  /** Every vote with the voter's name (polls that are not anonymous). */
  async votes(roomId: string, pollId: string): Promise<PollVote[]> {
    const [votes, names] = await Promise.all([
      this.redis.hgetall(pollKeys.votes(roomId, pollId)),
      this.redis.hgetall(pollKeys.names(roomId, pollId)),
    ]);
    return Object.entries(votes).map(([peerId, raw]) => ({
      peerId,
      name: names[peerId] ?? '',
      choices: parseChoices(raw),
    }));
  }

  /** Drops the oldest polls past the cap, with their votes. */
  private async trim(roomId: string): Promise<void> {
    const old = await this.redis.zrange(pollKeys.index(roomId), 0, -MAX_POLLS_PER_ROOM - 1);
    if (old.length === 0) return;
    const keys = old.flatMap((id) => [
      pollKeys.poll(roomId, id),
      pollKeys.votes(roomId, id),
      pollKeys.names(roomId, id),
      pollKeys.counts(roomId, id),
    ]);
    await this.redis
      .multi()
      .zrem(pollKeys.index(roomId), ...old)
      .unlink(...keys)
      .exec();
  }
}

/**
 * The key a vote is stored under. In an anonymous poll it is a digest of the person and the
 * poll: a second vote still replaces the first, but Redis holds no list of who voted.
 */
export function voterKey(pollId: string, peerId: string, anonymous: boolean): string {
  if (!anonymous) return peerId;
  return createHash('sha256').update(`${pollId}\n${peerId}`).digest('base64url').slice(0, 22);
}

function parseChoices(raw: string): number[] {
  return raw
    .split(',')
    .filter((s) => s !== '')
    .map(Number);
}

function toResults(pollId: string, options: number, counts: Record<string, string>): PollResults {
  return {
    pollId,
    counts: Array.from({ length: options }, (_, i) => Math.max(0, Number(counts[String(i)] ?? 0))),
    voters: Math.max(0, Number(counts.voters ?? 0)),
  };
}
