import type { Redis } from 'ioredis';
import { z } from 'zod';
import { StagecastError, type ChatMessage, type ChatState, type PeerIdentity } from '@stagecast/protocol';
import { peerIdentitySchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { readRecord } from '../core/validation.js';

/** Messages kept per room (the stream is trimmed approximately, so a few more may linger). */
export const CHAT_HISTORY = 200;
/** Each part of a stream entry id is an unsigned 64-bit integer. */
const MAX_STREAM_ID_PART = 2n ** 64n - 1n;

/**
 * Whether `<ms>-<seq>` can name a stream entry at all. Redis answers an error (not an empty
 * range) for parts above 64 bits, and no message can have such an id.
 */
function inStreamIdRange(id: string): boolean {
  const parts = id.split('-');
  return (
    parts.length === 2 && parts.every((part) => /^\d{1,20}$/.test(part) && BigInt(part) <= MAX_STREAM_ID_PART)
  );
}

/** How long a `clientId` is remembered, i.e. how late a retry is still recognised. */
const CLIENT_ID_TTL_MS = 60 * 60 * 1000;
/** Chat of an idle room is dropped after this long (each message pushes it back). */
const ROOM_CHAT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const base = (roomId: string) => `stagecast:room:${roomId}:chat`;
export const chatKeys = {
  /** Stream of messages; entry id = message id, field `m` = {@link StoredBody} JSON. */
  stream: (roomId: string) => base(roomId),
  /** `<entryId> <body JSON>` of a sender's message with this clientId (idempotent sends). */
  clientId: (roomId: string, peerId: string, clientId: string) =>
    `${base(roomId)}:client:${peerId}:${clientId}`,
  /** The pinned message, as ChatMessage JSON. */
  pinned: (roomId: string) => `${base(roomId)}:pinned`,
  /** Slow mode seconds (absent = off). */
  slowMode: (roomId: string) => `${base(roomId)}:slowmode`,
  /** Present while a sender must wait in slow mode; expires with the wait. */
  slowWait: (roomId: string, peerId: string) => `${base(roomId)}:slow:${peerId}`,
  /** Present while a peer is muted; value = until (ms since the epoch). */
  muted: (roomId: string, peerId: string) => `${base(roomId)}:muted:${peerId}`,
};

/** What the stream holds; id and time come from the stream entry id (Redis server time). */
interface StoredBody {
  clientId: string;
  text: string;
  sender: PeerIdentity;
}

const storedBodySchema = z.object({
  clientId: z.string(),
  text: z.string(),
  sender: peerIdentitySchema,
}) satisfies z.ZodType<StoredBody>;

/** The pinned message is kept whole. */
const chatMessageSchema = storedBodySchema.extend({
  id: z.string(),
  ts: z.number(),
}) satisfies z.ZodType<ChatMessage>;

/**
 * Stores a message once per (room, sender, clientId), atomically: a retry finds the first
 * message instead of adding a second one, whichever ingest process it reaches.
 * Returns {created, entryId, body}.
 */
const APPEND = new LuaScript(`
local existing = redis.call('GET', KEYS[2])
if existing then return {0, existing} end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], id .. ' ' .. ARGV[1], 'PX', ARGV[3], 'NX')
return {1, id .. ' ' .. ARGV[1]}
`);

/** Deletes a message and, if it was pinned, the pin. Returns {deleted, unpinned}. */
const DELETE = new LuaScript(`
local n = redis.call('XDEL', KEYS[1], ARGV[1])
local unpinned = 0
local pinned = redis.call('GET', KEYS[2])
if n == 1 and pinned then
  local ok, msg = pcall(cjson.decode, pinned)
  if ok and msg.id == ARGV[1] then
    redis.call('DEL', KEYS[2])
    unpinned = 1
  end
end
return {n, unpinned}
`);

/** A room's chat in Redis: history stream, idempotency keys, pin, slow mode and mutes. */
export class ChatStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async append(roomId: string, body: StoredBody): Promise<{ message: ChatMessage; created: boolean }> {
    const result = (await APPEND.run(
      this.redis,
      [chatKeys.stream(roomId), chatKeys.clientId(roomId, body.sender.peerId, body.clientId)],
      [JSON.stringify(body), CHAT_HISTORY, CLIENT_ID_TTL_MS, ROOM_CHAT_TTL_MS],
    )) as [number, string];
    const message = this.fromRecord(roomId, result[1]);
    // Only an earlier message can be unreadable: this call wrote the body it gets back otherwise.
    if (!message)
      throw new StagecastError('CONFLICT', 'A message with this clientId exists but cannot be read');
    return { created: result[0] === 1, message };
  }

  /** The message a sender already stored with this clientId, if any. */
  async byClientId(roomId: string, peerId: string, clientId: string): Promise<ChatMessage | null> {
    const record = await this.redis.get(chatKeys.clientId(roomId, peerId, clientId));
    return record ? this.fromRecord(roomId, record) : null;
  }

  async get(roomId: string, messageId: string): Promise<ChatMessage | null> {
    if (!inStreamIdRange(messageId)) return null;
    const entries = await this.redis.xrange(chatKeys.stream(roomId), messageId, messageId);
    const entry = entries[0];
    return entry ? this.entryToMessage(roomId, entry) : null;
  }

  /** The last {@link CHAT_HISTORY} messages, oldest first; deleted ones are gone from the stream. */
  async history(roomId: string): Promise<ChatMessage[]> {
    const entries = await this.redis.xrevrange(chatKeys.stream(roomId), '+', '-', 'COUNT', CHAT_HISTORY);
    return entries
      .map((entry) => this.entryToMessage(roomId, entry))
      .filter((message) => message !== null)
      .reverse();
  }

  async state(roomId: string): Promise<ChatState> {
    const [messages, [pinned, slow]] = await Promise.all([
      this.history(roomId),
      this.redis.mget(chatKeys.pinned(roomId), chatKeys.slowMode(roomId)),
    ]);
    return {
      messages,
      pinned: readRecord(chatMessageSchema, pinned, this.logger, 'pinned message', { room: roomId }),
      slowModeSeconds: Number(slow ?? 0),
    };
  }

  async delete(roomId: string, messageId: string): Promise<{ deleted: boolean; unpinned: boolean }> {
    if (!inStreamIdRange(messageId)) return { deleted: false, unpinned: false };
    const [n, unpinned] = (await DELETE.run(
      this.redis,
      [chatKeys.stream(roomId), chatKeys.pinned(roomId)],
      [messageId],
    )) as [number, number];
    return { deleted: n === 1, unpinned: unpinned === 1 };
  }

  async setPinned(roomId: string, message: ChatMessage | null): Promise<void> {
    if (message)
      await this.redis.set(chatKeys.pinned(roomId), JSON.stringify(message), 'PX', ROOM_CHAT_TTL_MS);
    else await this.redis.del(chatKeys.pinned(roomId));
  }

  async setSlowMode(roomId: string, seconds: number): Promise<void> {
    if (seconds > 0) await this.redis.set(chatKeys.slowMode(roomId), String(seconds), 'PX', ROOM_CHAT_TTL_MS);
    else await this.redis.del(chatKeys.slowMode(roomId));
  }

  async slowModeSeconds(roomId: string): Promise<number> {
    return Number((await this.redis.get(chatKeys.slowMode(roomId))) ?? 0);
  }

  /**
   * Claims the sender's slot in slow mode. Returns 0 when the message may go, otherwise the
   * milliseconds to wait.
   */
  async claimSlowSlot(roomId: string, peerId: string, seconds: number): Promise<number> {
    const key = chatKeys.slowWait(roomId, peerId);
    const claimed = await this.redis.set(key, '1', 'PX', seconds * 1000, 'NX');
    if (claimed === 'OK') return 0;
    return Math.max(1, await this.redis.pttl(key));
  }

  async releaseSlowSlot(roomId: string, peerId: string): Promise<void> {
    await this.redis.del(chatKeys.slowWait(roomId, peerId));
  }

  /** Mutes until `until` (ms since the epoch); `until` in the past unmutes. */
  async mute(roomId: string, peerId: string, until: number): Promise<void> {
    const ms = until - Date.now();
    if (ms > 0) await this.redis.set(chatKeys.muted(roomId, peerId), String(until), 'PX', ms);
    else await this.redis.del(chatKeys.muted(roomId, peerId));
  }

  /** Milliseconds the peer stays muted, 0 if not muted. */
  async mutedForMs(roomId: string, peerId: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(chatKeys.muted(roomId, peerId)));
  }

  private toMessage(roomId: string, entryId: string, bodyJson: string): ChatMessage | null {
    const body = readRecord(storedBodySchema, bodyJson, this.logger, 'chat message', {
      room: roomId,
      message: entryId,
    });
    if (!body) return null;
    return {
      id: entryId,
      clientId: body.clientId,
      text: body.text,
      ts: Number(entryId.split('-')[0]),
      sender: body.sender,
    };
  }

  /** `<entryId> <body JSON>`, as the clientId keys hold it. */
  private fromRecord(roomId: string, record: string): ChatMessage | null {
    const space = record.indexOf(' ');
    return this.toMessage(roomId, record.slice(0, space), record.slice(space + 1));
  }

  private entryToMessage(roomId: string, [entryId, fields]: [string, string[]]): ChatMessage | null {
    // Fields come as [name, value, ...]; the only field is `m`.
    const index = fields.indexOf('m');
    return this.toMessage(roomId, entryId, fields[index + 1] ?? '{}');
  }
}
