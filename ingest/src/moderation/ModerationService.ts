import {
  can,
  StagecastError,
  type BanEntry,
  type LinkKind,
  type PeerIdentity,
  type Permission,
  type RoomLinks,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import type { RoomRecord } from '../rooms/RoomStore.js';
import { roomLinks } from '../rooms/links.js';

/** Who acts: a person in the room, or the REST API (the operator, who may do anything). */
export type Moderator = PeerIdentity | null;

/**
 * Bans (by identity, with the address as a fallback signal for the viewer link), their list
 * and lifting, and role link rotation. Every notification and disconnection goes through the
 * Socket.IO Redis adapter, so it reaches the person on whichever ingest process they are.
 */
export class ModerationService {
  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'store' | 'presence' | 'roles' | 'bans' | 'logger'>,
    /** Called after a ban, so that hands, invitations and promotions of the banned peer end. */
    private readonly onBanned: (roomId: string, peerId: string) => Promise<void>,
  ) {}

  /**
   * Bans a connected person and disconnects them. Moderators ban viewers and guests; only a
   * host bans a co-host; nobody bans a host or themselves.
   */
  async ban(roomId: string, by: PeerIdentity, peerId: string, reason: string | undefined): Promise<void> {
    requirePermission(by, 'moderate', 'Only hosts and co-hosts can ban people');
    if (peerId === by.peerId) throw new StagecastError('BAD_REQUEST', 'You cannot ban yourself');
    const target = await this.ctx.presence.get(roomId, peerId);
    if (!target) throw new StagecastError('NOT_FOUND', 'That person is not in this room');
    if (target.role === 'host') throw new StagecastError('FORBIDDEN', 'Hosts cannot be banned');
    if (target.role === 'cohost') requirePermission(by, 'manageCohosts', 'Only hosts can ban co-hosts');
    const entry: BanEntry = {
      peerId: target.peerId,
      name: target.name,
      role: target.role,
      bannedAt: Date.now(),
      by: { peerId: by.peerId, name: by.name },
      ...(reason ? { reason } : {}),
    };
    await this.ctx.bans.ban(roomId, entry);
    await this.onBanned(roomId, target.peerId);
    this.ctx.roles.kick(
      roomId,
      target.peerId,
      reason ? `You were removed from this room: ${reason}` : 'You were removed from this room',
    );
    this.ctx.logger.info({ room: roomId, peer: target.peerId, by: by.peerId }, 'peer banned');
    await this.notify(roomId);
  }

  async list(roomId: string, by: Moderator): Promise<BanEntry[]> {
    if (by) requirePermission(by, 'moderate', 'Only hosts and co-hosts can see the bans');
    return this.ctx.bans.list(roomId);
  }

  /** Lifts a ban: the person can join again, through the viewer link too. */
  async unban(roomId: string, by: Moderator, peerId: string): Promise<void> {
    if (by) requirePermission(by, 'moderate', 'Only hosts and co-hosts can lift bans');
    const ban = await this.ctx.bans.get(roomId, peerId);
    if (by && ban?.role === 'cohost')
      requirePermission(by, 'manageCohosts', "Only hosts can lift a co-host's ban");
    if (!(await this.ctx.bans.lift(roomId, peerId)))
      throw new StagecastError('NOT_FOUND', 'Nobody with that id is banned from this room');
    this.ctx.logger.info({ room: roomId, peer: peerId, by: by?.peerId ?? 'api' }, 'ban lifted');
    await this.notify(roomId);
  }

  /**
   * Replaces a role link: the old code stops resolving, tokens made from it are refused, and
   * everyone connected through it is told why and disconnected. `base` is where links point.
   */
  async rotate(record: RoomRecord, by: Moderator, link: LinkKind, base: string): Promise<RoomLinks> {
    if (by) requirePermission(by, 'manageLinks', 'Only hosts can replace links');
    const { record: updated, gen } = await this.ctx.store.rotate(record, link);
    const joined = this.ctx.io.in(channels.link(record.id, link, gen - 1));
    joined.emit('room:closed', {
      reason: 'link-rotated',
      message: 'The link you joined with was replaced; ask the host for the new one',
    });
    joined.disconnectSockets(true);
    const links = roomLinks(base, updated);
    if (link === 'viewer')
      this.ctx.io.to(channels.managers(record.id)).emit('room:viewerLink', { link: links.viewer });
    this.ctx.logger.info({ room: record.id, link, gen, by: by?.peerId ?? 'api' }, 'link rotated');
    return links;
  }

  private async notify(roomId: string): Promise<void> {
    this.ctx.io.to(channels.managers(roomId)).emit('room:bans', await this.ctx.bans.list(roomId));
  }
}

function requirePermission(who: PeerIdentity, permission: Permission, message: string): void {
  if (!can(who.role, permission)) throw new StagecastError('FORBIDDEN', message);
}
