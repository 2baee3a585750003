import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { LowerThird, PeerIdentity, Question } from '@stagecast/protocol';
import { peerIdentitySchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { parseJsonOrUndefined } from '../core/validation.js';

/** Questions kept per room: a cap, so one room cannot grow without bound. */
export const MAX_QUESTIONS = 500;

const base = (roomId: string) => `stagecast:room:${roomId}:qa`;
export const questionKeys = {
  /** Counter of question ids. */
  seq: (roomId: string) => `${base(roomId)}:seq`,
  /** Sorted set of question ids by time asked. */
  ids: (roomId: string) => `${base(roomId)}:ids`,
  /** Hash of one question: text, ts, asker (identity JSON), askerId, votes, answered, hidden. */
  question: (roomId: string, id: string) => `${base(roomId)}:q:${id}`,
  /** Set of the identities (peer ids) that upvoted one question; `votes` is its size. */
  voters: (roomId: string, id: string) => `${base(roomId)}:q:${id}:voters`,
  /** Hash `<peerId>:<clientId>` → question id, so a retried ask is stored once. */
  clients: (roomId: string) => `${base(roomId)}:clients`,
  /** The highlighted question's id (absent: none). */
  highlight: (roomId: string) => `${base(roomId)}:highlight`,
};

/** Stores a question once per (asker, clientId), within the room's cap. Returns {status, id}. */
const ASK = new LuaScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, existing} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return {-1, ''} end
redis.call('HSET', KEYS[3], 'text', ARGV[4], 'ts', ARGV[5], 'asker', ARGV[6], 'askerId', ARGV[7],
  'votes', 0, 'answered', 0, 'hidden', 0)
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {1, ARGV[3]}
`);

/**
 * One vote per identity, atomically: the set decides whether the vote is new, and the count
 * moves only then, so the same person voting through two processes at once counts once.
 * Returns {changed (1/0) or -1 no such question or -2 own question, votes}.
 */
const UPVOTE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
if ARGV[3] ~= '1' and redis.call('HGET', KEYS[1], 'hidden') == '1' then return {-1, 0} end
if redis.call('HGET', KEYS[1], 'askerId') == ARGV[1] then return {-2, 0} end
local changed
if ARGV[2] == '1' then changed = redis.call('SADD', KEYS[2], ARGV[1])
else changed = redis.call('SREM', KEYS[2], ARGV[1]) end
local votes = tonumber(redis.call('HGET', KEYS[1], 'votes'))
if changed == 1 then
  votes = redis.call('HINCRBY', KEYS[1], 'votes', ARGV[2] == '1' and 1 or -1)
end
return {changed, votes}
`);

/**
 * Sets `answered` or `hidden` of an existing question; hiding the highlighted one ends the
 * highlight in the same step. Returns 0 no such question, 1 set, 2 set and un-highlighted.
 */
const SET_FLAG = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[1] == 'hidden' and ARGV[2] == '1' and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('DEL', KEYS[2])
  return 2
end
return 1
`);

/** Highlights a visible question. Returns {status (1 ok, -1 none, -2 hidden), previous id or ''}. */
const HIGHLIGHT = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1, ''} end
if redis.call('HGET', KEYS[2], 'hidden') == '1' then return {-2, ''} end
local previous = redis.call('GET', KEYS[1]) or ''
redis.call('SET', KEYS[1], ARGV[1])
return {1, previous}
`);

const storedSchema = z.object({
  text: z.string(),
  ts: z.coerce.number(),
  asker: z.string(),
  askerId: z.string(),
  votes: z.coerce.number().int(),
  answered: z.enum(['0', '1']),
  hidden: z.enum(['0', '1']),
});

export type AskResult = { status: 'created' | 'existing'; id: string } | { status: 'full' };
export type UpvoteResult =
  { status: 'ok'; changed: boolean; votes: number } | { status: 'missing' } | { status: 'own' };

/** A room's questions in Redis: shared by every ingest process and kept across restarts. */
export class QuestionStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async ask(roomId: string, asker: PeerIdentity, clientId: string, text: string): Promise<AskResult> {
    const field = `${asker.peerId}:${clientId}`;
    const known = await this.redis.hget(questionKeys.clients(roomId), field);
    if (known) return { status: 'existing', id: known };
    const id = `q${await this.redis.incr(questionKeys.seq(roomId))}`;
    const [status, stored] = (await ASK.run(
      this.redis,
      [questionKeys.clients(roomId), questionKeys.ids(roomId), questionKeys.question(roomId, id)],
      [field, MAX_QUESTIONS, id, text, Date.now(), JSON.stringify(asker), asker.peerId],
    )) as [number, string];
    if (status === -1) return { status: 'full' };
    return { status: status === 1 ? 'created' : 'existing', id: stored };
  }

  async upvote(
    roomId: string,
    id: string,
    peerId: string,
    on: boolean,
    maySeeHidden: boolean,
  ): Promise<UpvoteResult> {
    const [changed, votes] = (await UPVOTE.run(
      this.redis,
      [questionKeys.question(roomId, id), questionKeys.voters(roomId, id)],
      [peerId, on ? '1' : '0', maySeeHidden ? '1' : '0'],
    )) as [number, number];
    if (changed === -1) return { status: 'missing' };
    if (changed === -2) return { status: 'own' };
    return { status: 'ok', changed: changed === 1, votes };
  }

  /** Sets a flag; `null` when there is no such question, else whether the highlight ended. */
  async setFlag(
    roomId: string,
    id: string,
    flag: 'answered' | 'hidden',
    value: boolean,
  ): Promise<{ unhighlighted: boolean } | null> {
    const result = (await SET_FLAG.run(
      this.redis,
      [questionKeys.question(roomId, id), questionKeys.highlight(roomId)],
      [flag, value ? '1' : '0', id],
    )) as number;
    return result === 0 ? null : { unhighlighted: result === 2 };
  }

  /** Highlights a question (`null`: none). Answers the previous highlight, or an error status. */
  async highlight(
    roomId: string,
    id: string | null,
  ): Promise<{ status: 'ok'; previous: string | null } | { status: 'missing' } | { status: 'hidden' }> {
    if (id === null) {
      const previous = await this.redis.getdel(questionKeys.highlight(roomId));
      return { status: 'ok', previous };
    }
    const [status, previous] = (await HIGHLIGHT.run(
      this.redis,
      [questionKeys.highlight(roomId), questionKeys.question(roomId, id)],
      [id],
    )) as [number, string];
    if (status === -1) return { status: 'missing' };
    if (status === -2) return { status: 'hidden' };
    return { status: 'ok', previous: previous === '' ? null : previous };
  }

  async highlighted(roomId: string): Promise<string | null> {
    return this.redis.get(questionKeys.highlight(roomId));
  }

  async get(roomId: string, id: string): Promise<Question | null> {
    const [raw, highlighted] = await Promise.all([
      this.redis.hgetall(questionKeys.question(roomId, id)),
      this.highlighted(roomId),
    ]);
    return this.toQuestion(roomId, id, raw, highlighted);
  }

  /** Every question, oldest first. */
  async list(roomId: string): Promise<Question[]> {
    const [ids, highlighted] = await Promise.all([
      this.redis.zrange(questionKeys.ids(roomId), 0, -1),
      this.highlighted(roomId),
    ]);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(questionKeys.question(roomId, id));
    const results = (await pipeline.exec()) ?? [];
    return ids.flatMap((id, i) => {
      const [error, raw] = results[i] ?? [null, null];
      if (error) throw error;
      const question = this.toQuestion(roomId, id, raw as Record<string, string>, highlighted);
      return question ? [question] : [];
    });
  }

  /** Of `ids`, those this identity upvoted. */
  async upvotedBy(roomId: string, peerId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.sismember(questionKeys.voters(roomId, id), peerId);
    const results = (await pipeline.exec()) ?? [];
    return ids.filter((_, i) => results[i]?.[1] === 1);
  }

  /** Ids of one asker's questions. */
  async idsOf(roomId: string, askerId: string): Promise<string[]> {
    return (await this.list(roomId)).filter((q) => q.asker.peerId === askerId).map((q) => q.id);
  }

  /** What the compositor shows: the highlighted question, if it is still there and visible. */
  async lowerThird(roomId: string): Promise<LowerThird | null> {
    const id = await this.highlighted(roomId);
    const question = id === null ? null : await this.get(roomId, id);
    return question && !question.hidden ? { text: question.text, name: question.asker.name } : null;
  }

  /** The room's deletion: its questions go with it. */
  async delete(roomId: string): Promise<void> {
    const ids = await this.redis.zrange(questionKeys.ids(roomId), 0, -1);
    const keys = ids.flatMap((id) => [questionKeys.question(roomId, id), questionKeys.voters(roomId, id)]);
    keys.push(
      questionKeys.ids(roomId),
      questionKeys.seq(roomId),
      questionKeys.clients(roomId),
      questionKeys.highlight(roomId),
    );
    // In chunks: a room at its cap has about a thousand keys.
    for (let i = 0; i < keys.length; i += 200) await this.redis.del(...keys.slice(i, i + 200));
  }

  private toQuestion(
    roomId: string,
    id: string,
    raw: Record<string, string> | null,
    highlighted: string | null,
  ): Question | null {
    if (!raw || Object.keys(raw).length === 0) return null;
    const stored = storedSchema.safeParse(raw);
    const asker = stored.success
      ? peerIdentitySchema.safeParse(parseJsonOrUndefined(stored.data.asker))
      : null;
    if (!stored.success || !asker?.success) {
      // One bad record must not fail every listing of the room.
      this.logger.warn({ room: roomId, question: id }, 'ignored a malformed question in Redis');
      return null;
    }
    const s = stored.data;
    return {
      id,
      text: s.text,
      ts: s.ts,
      asker: asker.data,
      votes: s.votes,
      answered: s.answered === '1',
      hidden: s.hidden === '1',
      highlighted: highlighted === id,
    };
  }
}
