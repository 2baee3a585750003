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
const rolesKey = (roomId: string) => `stagecast:room:${roomId}:roles`;

const STAGE_ROLES = ROLES.filter(isStageRole);

/**
 * Writes ARGV[2] as ARGV[1]'s entry if fewer than ARGV[3] others hold a stage role (ARGV[4..]);
 * 1 if written. Counting and writing in one script is what makes the stage cap hold when many
 * connect or accept at once, on any number of processes. The peer's own entry (an older
 * connection, or the viewer entry of someone being promoted) does not count.
 */
const TAKE_SEAT = new LuaScript(`
local stage = {}
for i = 4, #ARGV do stage[ARGV[i]] = true end
local taken = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local ok, entry = pcall(cjson.decode, all[i + 1])
    if ok and type(entry) == 'table' and stage[entry.role] then taken = taken + 1 end
  end
end
if taken >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/**
 * Who is connected to a room, and role overrides (viewer ⇄ guest), in Redis so that every
 * ingest process sees the same audience and the same roles.
 */
export class PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  private entry(roomId: string, raw: string | null | undefined): PresenceEntry | null {
    return readRecord(presenceEntrySchema, raw, this.logger, 'presence entry', { room: roomId });
  }

  async add(roomId: string, entry: PresenceEntry): Promise<void> {
    await this.redis.hset(presenceKey(roomId), entry.peerId, JSON.stringify(entry));
  }

  /**
   * Adds or rewrites `entry` (which holds a stage role) if the stage has a free seat, counted
   * over every process; false, and nothing written, when `maxStage` others are on stage.
   */
  async takeStageSeat(roomId: string, entry: PresenceEntry, maxStage: number): Promise<boolean> {
    const written = await TAKE_SEAT.run(
      this.redis,
      [presenceKey(roomId)],
      [entry.peerId, JSON.stringify(entry), maxStage, ...STAGE_ROLES],
    );
    return written === 1;
  }

  /** Removes the entry only if it still belongs to `socketId` (a newer connection may own it). */
  async remove(roomId: string, peerId: string, socketId: string): Promise<void> {
    const entry = this.entry(roomId, await this.redis.hget(presenceKey(roomId), peerId));
    if (entry?.socketId === socketId) {
      await this.redis.hdel(presenceKey(roomId), peerId);
    }
  }

  async list(roomId: string): Promise<PresenceEntry[]> {
    const all = await this.redis.hvals(presenceKey(roomId));
    return all
      .map((raw) => this.entry(roomId, raw))
      .filter((entry) => entry !== null)
      .sort((a, b) => a.since - b.since);
  }

  async get(roomId: string, peerId: string): Promise<PresenceEntry | null> {
    return this.entry(roomId, await this.redis.hget(presenceKey(roomId), peerId));
  }

  async countViewers(roomId: string): Promise<number> {
    return (await this.list(roomId)).filter((e) => e.role === 'viewer').length;
  }

  async updateRole(roomId: string, peerId: string, role: Role): Promise<void> {
    const entry = await this.get(roomId, peerId);
    if (entry) await this.redis.hset(presenceKey(roomId), peerId, JSON.stringify({ ...entry, role }));
  }

  /** The role a peer holds now: an override (promotion) or the token's role. */
  async effectiveRole(roomId: string, peerId: string, tokenRole: Role): Promise<Role> {
    // Only viewers are ever promoted; hosts and co-hosts keep their token's role.
    if (tokenRole !== 'viewer') return tokenRole;
    const override = await this.redis.hget(rolesKey(roomId), peerId);
    return override === 'guest' ? 'guest' : 'viewer';
  }

  async setRoleOverride(roomId: string, peerId: string, role: Role): Promise<void> {
    if (role === 'guest') await this.redis.hset(rolesKey(roomId), peerId, role);
    else await this.redis.hdel(rolesKey(roomId), peerId);
  }

  async clearRoom(roomId: string): Promise<void> {
    await this.redis.del(presenceKey(roomId), rolesKey(roomId));
  }
}
