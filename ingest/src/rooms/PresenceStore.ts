import type { Redis } from 'ioredis';
import { z } from 'zod';
import { isStageRole, ROLES, type PeerIdentity, type Role } from '@stagecast/protocol';
import { peerIdentitySchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { readRecord } from '../core/validation.js';

export interface PresenceEntry extends PeerIdentity {
  socketId: string;
  since: number;
}

const presenceEntrySchema = peerIdentitySchema.extend({
  socketId: z.string(),
  since: z.number(),
}) satisfies z.ZodType<PresenceEntry>;

const presenceKey = (roomId: string) => `stagecast:room:${roomId}:presence`;
/** Sorted set peerId → the time (ms) its entry expires unless its process refreshes it. */
const expiryKey = (roomId: string) => `stagecast:room:${roomId}:presence:expiry`;
const rolesKey = (roomId: string) => `stagecast:room:${roomId}:roles`;

export const presenceKeys = { entries: presenceKey, expiry: expiryKey, roles: rolesKey };

const STAGE_ROLES = ROLES.filter(isStageRole);

/**
 * Drops the entries whose expiry (KEYS[2]) is at or before ARGV[1], so that the peers of a
 * process that stopped refreshing them (a crash) leave the audience and the stage. Entries and
 * scores are only ever written together, so an entry without a score predates expiry (written
 * by an older version, whose crash left it behind for good): it goes too.
 */
const PRUNE_LUA = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
if redis.call('HLEN', KEYS[1]) > redis.call('ZCARD', KEYS[2]) then
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
    if not redis.call('ZSCORE', KEYS[2], id) then
      redis.call('HDEL', KEYS[1], id)
      expired[#expired + 1] = id
    end
  end
end
`;

const PRUNE = new LuaScript(`${PRUNE_LUA}
return expired
`);

/**
 * Prunes as above, then writes ARGV[5] as ARGV[4]'s entry, expiring at ARGV[2], if fewer than
 * ARGV[3] others hold a stage role (ARGV[6..]); returns {written (1 or 0), expired ids}.
 * Counting and writing in one script is what makes the stage cap hold when many connect or
 * accept at once, on any number of processes; pruning first is what frees the seats of a
 * crashed process. The peer's own entry (an older connection, or the viewer entry of someone
 * being promoted) does not count.
 */
const TAKE_SEAT = new LuaScript(`${PRUNE_LUA}
local stage = {}
for i = 6, #ARGV do stage[ARGV[i]] = true end
local taken = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[4] then
    local ok, entry = pcall(cjson.decode, all[i + 1])
    if ok and type(entry) == 'table' and stage[entry.role] then taken = taken + 1 end
  end
end
if taken >= tonumber(ARGV[3]) then return {0, expired} end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return {1, expired}
`);

/** Rewrites ARGV[1]'s entry as ARGV[2] only if it is still there (it may have expired meanwhile). */
const REWRITE = new LuaScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
`);

/** Peers whose entries expired, by room; the process that notices tells their rooms. */
export type ExpiredListener = (roomId: string, peerIds: string[]) => void;

const expiredSchema = z.array(z.string());
const takeSeatSchema = z.tuple([z.number(), expiredSchema]);

/**
 * Who is connected to a room, and role overrides (viewer ⇄ guest), in Redis so that every
 * ingest process sees the same audience and the same roles. Each entry expires `ttlMs` after
 * its process last refreshed it: one heartbeat per process refreshes all of its own peers,
 * and whoever reads a room drops what expired.
 */
export class PresenceStore {
  /** roomId → peerId → socket id, for the entries this process wrote and refreshes. */
  private readonly own = new Map<string, Map<string, string>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private onExpired: ExpiredListener = () => undefined;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly ttlMs: number,
  ) {}

  private entry(roomId: string, raw: string | null | undefined): PresenceEntry | null {
    return readRecord(presenceEntrySchema, raw, this.logger, 'presence entry', { room: roomId });
  }

  /** Refreshes this process's entries every quarter of the TTL and prunes their rooms. */
  startHeartbeat(onExpired: ExpiredListener): void {
    this.onExpired = onExpired;
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(
      () => {
        void this.beat().catch((error: unknown) =>
          this.logger.warn({ err: error }, 'presence heartbeat failed'),
        );
      },
      Math.max(250, Math.floor(this.ttlMs / 4)),
    );
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async beat(): Promise<void> {
    const expiresAt = Date.now() + this.ttlMs;
    for (const [roomId, peers] of this.own) {
      if (peers.size === 0) continue;
      // XX: an entry removed meanwhile (a leave, a prune) is not brought back by its score.
      const args = [...peers.keys()].flatMap((peerId) => [expiresAt, peerId]);
      await this.redis.zadd(expiryKey(roomId), 'XX', ...args);
      await this.prune(roomId);
    }
  }

  private track(roomId: string, entry: PresenceEntry): void {
    const peers = this.own.get(roomId) ?? new Map<string, string>();
    this.own.set(roomId, peers);
    peers.set(entry.peerId, entry.socketId);
  }

  private untrack(roomId: string, peerId: string, socketId: string): void {
    const peers = this.own.get(roomId);
    if (peers?.get(peerId) !== socketId) return;
    peers.delete(peerId);
    if (peers.size === 0) this.own.delete(roomId);
  }

  private reportExpired(roomId: string, peerIds: string[]): void {
    if (peerIds.length === 0) return;
    this.logger.info({ room: roomId, peers: peerIds }, 'presence expired (its ingest stopped refreshing it)');
    this.onExpired(roomId, peerIds);
  }

  /** Drops the room's expired entries; returns their peer ids. */
  async prune(roomId: string): Promise<string[]> {
    const raw = await PRUNE.run(this.redis, [presenceKey(roomId), expiryKey(roomId)], [Date.now()]);
    const expired = expiredSchema.parse(raw);
    this.reportExpired(roomId, expired);
    return expired;
  }

  async add(roomId: string, entry: PresenceEntry): Promise<void> {
    this.track(roomId, entry);
    await this.redis
      .multi()
      .hset(presenceKey(roomId), entry.peerId, JSON.stringify(entry))
      .zadd(expiryKey(roomId), Date.now() + this.ttlMs, entry.peerId)
      .exec();
  }

  /**
   * Adds or rewrites `entry` (which holds a stage role) if the stage has a free seat, counted
   * over every process; false, and nothing written, when `maxStage` others are on stage.
   */
  async takeStageSeat(roomId: string, entry: PresenceEntry, maxStage: number): Promise<boolean> {
    const now = Date.now();
    const raw = await TAKE_SEAT.run(
      this.redis,
      [presenceKey(roomId), expiryKey(roomId)],
      [now, now + this.ttlMs, maxStage, entry.peerId, JSON.stringify(entry), ...STAGE_ROLES],
    );
    const [written, expired] = takeSeatSchema.parse(raw);
    this.reportExpired(roomId, expired);
    if (written === 1) this.track(roomId, entry);
    return written === 1;
  }

  /** Removes the entry only if it still belongs to `socketId` (a newer connection may own it). */
  async remove(roomId: string, peerId: string, socketId: string): Promise<void> {
    this.untrack(roomId, peerId, socketId);
    const entry = this.entry(roomId, await this.redis.hget(presenceKey(roomId), peerId));
    if (entry?.socketId === socketId) {
      await this.redis.multi().hdel(presenceKey(roomId), peerId).zrem(expiryKey(roomId), peerId).exec();
    }
  }

  async list(roomId: string): Promise<PresenceEntry[]> {
    await this.prune(roomId);
    const all = await this.redis.hvals(presenceKey(roomId));
    return all
      .map((raw) => this.entry(roomId, raw))
      .filter((entry) => entry !== null)
      .sort((a, b) => a.since - b.since);
  }

  async get(roomId: string, peerId: string): Promise<PresenceEntry | null> {
    await this.prune(roomId);
    return this.entry(roomId, await this.redis.hget(presenceKey(roomId), peerId));
  }

  async countViewers(roomId: string): Promise<number> {
    return (await this.list(roomId)).filter((e) => e.role === 'viewer').length;
  }

  async updateRole(roomId: string, peerId: string, role: Role): Promise<void> {
    const entry = await this.get(roomId, peerId);
    if (entry)
      await REWRITE.run(this.redis, [presenceKey(roomId)], [peerId, JSON.stringify({ ...entry, role })]);
  }

  /**
   * The role a peer holds now: an override or the token's role. Viewers are promoted (guest)
   * and moved back; co-hosts can be moved to the audience by a host (viewer), and from there
   * be invited on stage like any viewer. Hosts keep their token's role.
   */
  async effectiveRole(roomId: string, peerId: string, tokenRole: Role): Promise<Role> {
    if (tokenRole === 'host' || tokenRole === 'guest') return tokenRole;
    const override = await this.redis.hget(rolesKey(roomId), peerId);
    if (override === 'guest' || override === 'viewer') return override;
    return tokenRole;
  }

  /** Records a peer's audience or guest role; any other role clears the override. */
  async setRoleOverride(roomId: string, peerId: string, role: Role): Promise<void> {
    if (role === 'guest' || role === 'viewer') await this.redis.hset(rolesKey(roomId), peerId, role);
    else await this.redis.hdel(rolesKey(roomId), peerId);
  }

  async clearRoom(roomId: string): Promise<void> {
    this.own.delete(roomId);
    await this.redis.del(presenceKey(roomId), expiryKey(roomId), rolesKey(roomId));
  }
}
