import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { PeerIdentity, Role } from '@stagecast/protocol';
import { peerIdentitySchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
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
