import { randomBytes } from 'node:crypto';
import { isStageRole, StagecastError } from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { Peer } from '../rooms/Peer.js';
import type { Room } from '../rooms/Room.js';
import { requireMediaOwner } from '../rooms/MediaLease.js';

/** Why an ingress participant left the stage. */
export type IngressEndReason =
  /** The publisher stopped, or its resource or key was deleted. */
  | 'stopped'
  /** A host moved it off the stage or banned it. */
  | 'removed'
  /** The room closed (deleted, or its media went away). */
  | 'room-closed';

/** A participant without a socket, on the stage of one room on this process. */
export interface IngressSeat {
  readonly room: Room;
  readonly peer: Peer;
}

interface Seated {
  seat: IngressSeat;
  onEnded: (reason: IngressEndReason) => void;
}

/**
 * Puts publishers that have no Socket.IO connection (WHIP, RTMP) on a room's stage as peers
 * like any other: a seat counted against the stage cap in presence (refreshed by this
 * process's heartbeat), a Peer in the live Room (so stage events, snapshots, on air, mutes and
 * the composite treat it as anyone), and the same leave when it goes. Its role is `guest`:
 * it arrives as the room's stage entry says, and hosts and co-hosts moderate it.
 */
export class IngressPeers {
  private readonly seated = new Map<string, Seated>();
  private readonly watched = new WeakSet<Room>();

  constructor(
    private readonly ctx: Pick<
      IngestContext,
      'store' | 'presence' | 'rooms' | 'media' | 'logger' | 'webhooks'
    >,
    private readonly maxStage: number,
    /** Called after a participant joined or left (the audience count follows). */
    private readonly onPresenceChange: (roomId: string) => void,
  ) {}

  /**
   * Seats a new participant named `name` in the room; `onEnded` is called once if it leaves
   * for a reason other than {@link leave} (a host removed it, the room closed).
   */
  async join(
    roomId: string,
    name: string,
    onEnded: (reason: IngressEndReason) => void,
  ): Promise<IngressSeat> {
    const record = await this.ctx.store.get(roomId);
    if (!record) throw new StagecastError('ROOM_NOT_FOUND', 'This room does not exist (any more)');
    // Only the process owning the room's media holds its stage.
    await requireMediaOwner(this.ctx.media, roomId);
    // Unguessable and apart from every person's id: the same host may publish by WHIP too.
    const peerId = `ingress-${randomBytes(12).toString('hex')}`;
    const socketId = socketIdOf(peerId);
    const seated = await this.ctx.presence.takeStageSeat(
      roomId,
      { peerId, name, role: 'guest', socketId, since: Date.now() },
      this.maxStage,
    );
    if (!seated) throw new StagecastError('STAGE_FULL', `The stage is full (${this.maxStage} people)`);
    const room = this.ctx.rooms.open(roomId, record.name);
    this.watch(room);
    const peer = new Peer(peerId, name, 'guest', socketId);
    const seat: IngressSeat = { room, peer };
    this.seated.set(peerId, { seat, onEnded });
    room.addPeer(peer);
    this.ctx.webhooks.emit('peer.joined', { roomId, peer: peer.identity });
    this.onPresenceChange(roomId);
    this.ctx.logger.info({ room: roomId, peer: peerId, name }, 'ingress participant joined');
    return seat;
  }

  /** Takes the participant off the stage (its producers close, everyone is told). Idempotent. */
  async leave(seat: IngressSeat): Promise<void> {
    const { room, peer } = seat;
    if (this.seated.get(peer.id)?.seat !== seat) return;
    this.seated.delete(peer.id);
    if (room.peers.get(peer.id) === peer) room.removePeer(peer.id);
    this.ctx.webhooks.emit('peer.left', { roomId: room.id, peer: peer.identity });
    if (!room.isClosed && room.peers.size === 0) this.ctx.rooms.scheduleIdleClose(room);
    await this.ctx.presence
      .remove(room.id, peer.id, socketIdOf(peer.id))
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, room: room.id }, 'presence cleanup failed'),
      );
    this.onPresenceChange(room.id);
    this.ctx.logger.info({ room: room.id, peer: peer.id }, 'ingress participant left');
  }

  /**
   * Why a participant's media closed under its owner: a host's removal and the room closing
   * close the media before the room tells of the departure, so the owner asks.
   */
  reasonFor(seat: IngressSeat): IngressEndReason {
    if (seat.room.isClosed) return 'room-closed';
    const stillOnStage = seat.room.peers.get(seat.peer.id) === seat.peer && isStageRole(seat.peer.role);
    return stillOnStage ? 'stopped' : 'removed';
  }

  /** Participants of this process, e.g. to close at shutdown. */
  all(): IngressSeat[] {
    return [...this.seated.values()].map((s) => s.seat);
  }

  private watch(room: Room): void {
    if (this.watched.has(room)) return;
    this.watched.add(room);
    // Moved to the audience (still in the room) or removed (kicked): either way off the stage.
    room.on('stageLeft', (peerId) => this.ended(peerId, 'removed'));
    room.once('closed', () => {
      for (const { seat } of [...this.seated.values()])
        if (seat.room === room) this.ended(seat.peer.id, 'room-closed');
    });
  }

  private ended(peerId: string, reason: IngressEndReason): void {
    const entry = this.seated.get(peerId);
    if (!entry) return;
    void this.leave(entry.seat).finally(() => entry.onEnded(reason));
  }
}

/** The presence entry's connection id: no socket has it, so no disconnect ever removes it. */
function socketIdOf(peerId: string): string {
  return `ingress:${peerId}`;
}
