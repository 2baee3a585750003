import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { StagecastError, type StageInvite } from '@stagecast/protocol';
import { peerIdentitySchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { readRecord } from '../core/validation.js';

const INVITE_STATES = ['pending', 'accepted', 'declined', 'expired', 'cancelled'] as const;
/** How an invitation ended; `pending` while it is open. */
export type InviteState = (typeof INVITE_STATES)[number];
export type InviteOutcome = Exclude<InviteState, 'pending'>;

const stageInviteSchema = z.object({
  inviteId: z.string(),
  peerId: z.string(),
  from: peerIdentitySchema,
  expiresAt: z.number(),
}) satisfies z.ZodType<StageInvite>;

/** An ended invitation is kept this long after its expiry so a late answer gets a precise error. */
const TOMBSTONE_MS = 10 * 60 * 1000;

const invitePrefix = (roomId: string) => `stagecast:room:${roomId}:invite:`;
export const inviteKeys = {
  /** Hash {invite: StageInvite JSON, state, expiresAt, peerId}. */
  invite: (roomId: string, inviteId: string) => `${invitePrefix(roomId)}${inviteId}`,
  /** Hash invitee peerId → id of their latest invitation. */
  byPeer: (roomId: string) => `stagecast:room:${roomId}:invites`,
  /** Short lock around "count the stage, then promote", so two accepts cannot overfill it. */
  stageLock: (roomId: string) => `stagecast:room:${roomId}:stage:lock`,
};

/**
 * Creates an invitation unless the invitee already has an open one (returned instead).
 * The open invitation's key is derived from the index, hence built from ARGV[7].
 */
const CREATE = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local key = ARGV[7] .. current
  local state = redis.call('HGET', key, 'state')
  local exp = tonumber(redis.call('HGET', key, 'expiresAt') or '0')
  if state == 'pending' and exp > tonumber(ARGV[2]) then return {0, redis.call('HGET', key, 'invite')} end
end
local key = ARGV[7] .. ARGV[3]
redis.call('HSET', key, 'invite', ARGV[4], 'state', 'pending', 'expiresAt', ARGV[5], 'peerId', ARGV[1])
redis.call('PEXPIRE', key, ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {1, ARGV[4]}
`);

/** Moves a pending invitation to its outcome; exactly one caller wins. Returns 'claimed' or the state found. */
const CLAIM = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state ~= 'pending' then return state end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[3] then redis.call('HDEL', KEYS[2], ARGV[2]) end
return 'claimed'
`);

const RELEASE_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Stage invitations in Redis, so that any ingest process can accept one made on another. */
export class InviteStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async create(
    roomId: string,
    invite: Omit<StageInvite, 'inviteId'>,
  ): Promise<{ invite: StageInvite; created: boolean }> {
    const inviteId = randomBytes(12).toString('base64url');
    const full: StageInvite = { inviteId, ...invite };
    const keepMs = Math.max(1, invite.expiresAt - Date.now()) + TOMBSTONE_MS;
    const [created, json] = (await CREATE.run(
      this.redis,
      [inviteKeys.byPeer(roomId)],
      [
        invite.peerId,
        Date.now(),
        inviteId,
        JSON.stringify(full),
        invite.expiresAt,
        keepMs,
        invitePrefix(roomId),
      ],
    )) as [number, string];
    if (created === 1) return { created: true, invite: full };
    const open = readRecord(stageInviteSchema, json, this.logger, 'stage invitation', { room: roomId });
    // An open invitation nobody can read blocks new ones until it expires (at most its TTL).
    if (!open) throw new StagecastError('CONFLICT', 'That person has an open invitation that cannot be read');
    return { created: false, invite: open };
  }

  async get(roomId: string, inviteId: string): Promise<{ invite: StageInvite; state: InviteState } | null> {
    const [json, state] = await this.redis.hmget(inviteKeys.invite(roomId, inviteId), 'invite', 'state');
    const invite = readRecord(stageInviteSchema, json, this.logger, 'stage invitation', {
      room: roomId,
      invite: inviteId,
    });
    if (!invite || !isInviteState(state)) return null;
    return { invite, state };
  }

  /** The id of the peer's latest invitation (it may have ended). */
  async latestFor(roomId: string, peerId: string): Promise<string | null> {
    return this.redis.hget(inviteKeys.byPeer(roomId), peerId);
  }

  /** Returns 'claimed' if this call ended the invitation, otherwise the state it already had. */
  async claim(
    roomId: string,
    invite: StageInvite,
    outcome: InviteOutcome,
  ): Promise<'claimed' | InviteState | 'missing'> {
    return (await CLAIM.run(
      this.redis,
      [inviteKeys.invite(roomId, invite.inviteId), inviteKeys.byPeer(roomId)],
      [outcome, invite.peerId, invite.inviteId],
    )) as 'claimed' | InviteState | 'missing';
  }

  /** Runs `fn` holding the room's stage lock (waits up to ~2 s for it). */
  async withStageLock<T>(roomId: string, fn: () => Promise<T>): Promise<T | typeof LOCK_BUSY> {
    const key = inviteKeys.stageLock(roomId);
    const token = randomBytes(8).toString('hex');
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await this.redis.set(key, token, 'PX', 5000, 'NX')) === 'OK') {
        try {
          return await fn();
        } finally {
          await RELEASE_LOCK.run(this.redis, [key], [token]);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return LOCK_BUSY;
  }
}

export const LOCK_BUSY = Symbol('stage lock busy');

function isInviteState(value: string | null | undefined): value is InviteState {
  return (INVITE_STATES as readonly (string | null | undefined)[]).includes(value);
}
