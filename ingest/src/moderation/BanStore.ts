import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ROLES, type BanEntry } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { readRecord } from '../core/validation.js';

/** A ban as stored: what is listed, plus the address it was made from (never listed). */
interface BanRecord extends BanEntry {
  ip?: string;
}

const banSchema = z.object({
  peerId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  bannedAt: z.number(),
  by: z.object({ peerId: z.string(), name: z.string() }).nullable(),
  reason: z.string().optional(),
  ip: z.string().optional(),
}) satisfies z.ZodType<BanRecord>;

const addressBanSchema = z.object({ peerId: z.string(), bannedAt: z.number() });

/** Hash identity → ban record. */
const bansKey = (roomId: string) => `stagecast:room:${roomId}:banlist`;
/** Hash address → the latest ban made from it. */
const addressBansKey = (roomId: string) => `stagecast:room:${roomId}:banip`;
/** Hash identity → last address it connected from: a ban needs it, wherever the person is connected. */
const addressesKey = (roomId: string) => `stagecast:room:${roomId}:addresses`;
/**
 * The set of an earlier version (`peer:<id>`, `name:<name>`): its identity bans still hold and
 * can be lifted; its name bans are dropped on purpose (anyone could take a banned name).
 */
const legacyBansKey = (roomId: string) => `stagecast:room:${roomId}:bans`;

/** Addresses are remembered for a week after the last connection from them. */
const ADDRESS_TTL_SECONDS = 7 * 24 * 3600;

/** A room's bans, in Redis: by identity (the token's `sub`), with the address as a fallback signal. */
export class BanStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /** Remembers where an identity connects from, so that banning it can record the address. */
  async rememberAddress(roomId: string, peerId: string, ip: string): Promise<void> {
    await this.redis
      .multi()
      .hset(addressesKey(roomId), peerId, ip)
      .expire(addressesKey(roomId), ADDRESS_TTL_SECONDS)
      .exec();
  }

  async ban(roomId: string, entry: BanEntry): Promise<void> {
    const ip = await this.redis.hget(addressesKey(roomId), entry.peerId);
    const record: BanRecord = ip ? { ...entry, ip } : entry;
    const tx = this.redis.multi().hset(bansKey(roomId), entry.peerId, JSON.stringify(record));
    if (ip)
      tx.hset(addressBansKey(roomId), ip, JSON.stringify({ peerId: entry.peerId, bannedAt: entry.bannedAt }));
    await tx.exec();
  }

  async isBanned(roomId: string, peerId: string): Promise<boolean> {
    const [current, legacy] = await Promise.all([
      this.redis.hexists(bansKey(roomId), peerId),
      this.legacyBanned(roomId, peerId),
    ]);
    return current === 1 || legacy;
  }

  /** When an identity was last banned from this address, or null. */
  async addressBannedAt(roomId: string, ip: string): Promise<number | null> {
    const raw = await this.redis.hget(addressBansKey(roomId), ip);
    return readRecord(addressBanSchema, raw, this.logger, 'address ban', { room: roomId })?.bannedAt ?? null;
  }

  async get(roomId: string, peerId: string): Promise<BanEntry | null> {
    const raw = await this.redis.hget(bansKey(roomId), peerId);
    const record = readRecord(banSchema, raw, this.logger, 'ban', { room: roomId });
    return record ? listed(record) : null;
  }

  /** Newest first; an earlier version's bans by identity are listed without a name. */
  async list(roomId: string): Promise<BanEntry[]> {
    const [all, legacy] = await Promise.all([this.redis.hvals(bansKey(roomId)), this.legacyMembers(roomId)]);
    const bans = all
      .map((raw) => readRecord(banSchema, raw, this.logger, 'ban', { room: roomId }))
      .filter((record) => record !== null)
      .map(listed);
    for (const peerId of legacy)
      if (!bans.some((ban) => ban.peerId === peerId))
        bans.push({ peerId, name: '', role: 'viewer', bannedAt: 0, by: null });
    return bans.sort((a, b) => b.bannedAt - a.bannedAt);
  }

  /** Lifts a ban, and its address signal when no later ban replaced it. False when there was none. */
  async lift(roomId: string, peerId: string): Promise<boolean> {
    const raw = await this.redis.hget(bansKey(roomId), peerId);
    const record = readRecord(banSchema, raw, this.logger, 'ban', { room: roomId });
    const legacy = await this.legacyBanned(roomId, peerId);
    if (raw === null && !legacy) return false;
    const tx = this.redis.multi().hdel(bansKey(roomId), peerId);
    if (legacy) tx.srem(legacyBansKey(roomId), `peer:${peerId}`);
    await tx.exec();
    if (record?.ip) {
      const address = readRecord(
        addressBanSchema,
        await this.redis.hget(addressBansKey(roomId), record.ip),
        this.logger,
        'address ban',
        { room: roomId },
      );
      if (address?.peerId === peerId) await this.redis.hdel(addressBansKey(roomId), record.ip);
    }
    return true;
  }

  private async legacyBanned(roomId: string, peerId: string): Promise<boolean> {
    if ((await this.redis.type(legacyBansKey(roomId))) !== 'set') return false;
    return (await this.redis.sismember(legacyBansKey(roomId), `peer:${peerId}`)) === 1;
  }

  private async legacyMembers(roomId: string): Promise<string[]> {
    if ((await this.redis.type(legacyBansKey(roomId))) !== 'set') return [];
    const members = await this.redis.smembers(legacyBansKey(roomId));
    return members.filter((m) => m.startsWith('peer:')).map((m) => m.slice('peer:'.length));
  }
}

function listed({ ip: _ip, ...entry }: BanRecord): BanEntry {
  return entry;
}
