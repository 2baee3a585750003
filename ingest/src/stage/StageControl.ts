import {
  can,
  DEFAULT_STAGE_ENTRY,
  isStageRole,
  StagecastError,
  type PeerIdentity,
  type Role,
  type StageEntry,
  type StageModeration,
  type StageMuteSource,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import type { Room } from '../rooms/Room.js';
import type { Peer } from '../rooms/Peer.js';
import { StageAirStore, type StageMemberState } from './StageAirStore.js';

/** Who acts: a host or co-host in the room, or the REST API (the operator) as null. */
export type StageActor = PeerIdentity | null;

/**
 * Backstage and on air, and moderation of the stage: muting (the server pauses the producer),
 * hard mutes the member cannot lift, and where promoted viewers arrive. The state lives in
 * Redis (StageAirStore); each process mirrors it onto the Peers it holds, because the stage
 * snapshot for the compositor and the producers to pause are on the process owning the media.
 */
export class StageControl {
  readonly store: StageAirStore;
  private readonly wired = new WeakSet<Room>();

  constructor(
    private readonly ctx: Pick<
      IngestContext,
      'io' | 'redis' | 'rooms' | 'store' | 'presence' | 'roles' | 'logger'
    >,
    /** Called when who is on air changed on this process (the compositor bridge re-sends the stage). */
    private readonly onStageChanged: (roomId: string) => void,
  ) {
    this.store = new StageAirStore(ctx.redis);
    ctx.rooms.on('roomOpened', (room) => this.watch(room));
    for (const room of ctx.rooms.all()) this.watch(room);
    ctx.io.on('stageControlChanged', (roomId, peerId) => void this.reload(roomId, peerId));
    // Moved to the audience by any path, connected or not: no on-air place or hard mute is kept
    // for a later return to the stage (that return is a newcomer's arrival).
    ctx.roles.on('leftStage', (roomId, peerId) => this.forget(roomId, peerId));
  }

  /** Where promoted viewers arrive in the room. */
  async entry(roomId: string): Promise<StageEntry> {
    return (await this.ctx.store.get(roomId))?.stageEntry ?? DEFAULT_STAGE_ENTRY;
  }

  /** Hosts (or the REST API) choose where promoted viewers arrive. */
  async setEntry(roomId: string, by: StageActor, stageEntry: StageEntry): Promise<StageEntry> {
    if (by && !can(by.role, 'manageCohosts'))
      throw new StagecastError('FORBIDDEN', 'Only hosts choose where new stage members arrive');
    if (!(await this.ctx.store.setStageEntry(roomId, stageEntry)))
      throw new StagecastError('ROOM_NOT_FOUND', 'This room does not exist (any more)');
    this.ctx.io.to(channels.room(roomId)).emit('stage:entry', { stageEntry });
    this.audit(roomId, by, null, 'stageEntry', { stageEntry });
    return stageEntry;
  }

  /** Puts a stage member on air (into the composite) or backstage. */
  async setOnAir(roomId: string, by: StageActor, peerId: string, onAir: boolean): Promise<boolean> {
    const role = await this.stageRoleOf(roomId, peerId);
    if (by) requireActOn(by, peerId, role, true);
    await this.store.setOnAir(roomId, peerId, onAir);
    // Here first (the member may be on this process), then wherever else they are connected.
    await this.reload(roomId, peerId);
    this.ctx.io.serverSideEmit('stageControlChanged', roomId, peerId);
    this.tell(roomId, { action: onAir ? 'onAir' : 'offAir', peerId, by });
    this.audit(roomId, by, peerId, onAir ? 'onAir' : 'offAir');
    return onAir;
  }

  /**
   * Mutes a member's microphone or camera: their producers of that source are paused on the
   * server. A hard mute also refuses their own unmute (HARD_MUTED) until a host lifts it.
   */
  async mute(
    room: Room,
    by: PeerIdentity,
    peerId: string,
    source: StageMuteSource,
    hard: boolean,
  ): Promise<number> {
    if (peerId === by.peerId)
      throw new StagecastError('BAD_REQUEST', 'Mute yourself with your own microphone and camera buttons');
    const peer = this.localMember(room, peerId);
    requireActOn(by, peerId, peer.role, false);
    if (hard) {
      await this.store.setHardMuted(room.id, peerId, source, true);
      peer.hardMuted.add(source);
    }
    const paused = await pauseSource(room, peer, source);
    this.tell(room.id, { action: hard ? 'hardMute' : 'mute', peerId, source, by });
    if (hard) this.updated(room, peer);
    this.audit(room.id, by, peerId, hard ? 'hardMute' : 'mute', { source, paused });
    return paused;
  }

  /** Lifts a hard mute; the member unmutes themselves when they want to. */
  async liftHardMute(room: Room, by: PeerIdentity, peerId: string, source: StageMuteSource): Promise<void> {
    const peer = this.localMember(room, peerId);
    requireActOn(by, peerId, peer.role, false);
    await this.store.setHardMuted(room.id, peerId, source, false);
    peer.hardMuted.delete(source);
    this.tell(room.id, { action: 'liftHardMute', peerId, source, by });
    this.updated(room, peer);
    this.audit(room.id, by, peerId, 'liftHardMute', { source });
  }

  /** Mutes everyone on stage but the host who asks (hosts only); answers the producers paused. */
  async muteAll(room: Room, by: PeerIdentity, source: StageMuteSource, hard: boolean): Promise<number> {
    if (!can(by.role, 'manageCohosts'))
      throw new StagecastError('FORBIDDEN', 'Only hosts can mute everyone on stage');
    let paused = 0;
    for (const peer of [...room.peers.values()]) {
      if (peer.id === by.peerId || !isStageRole(peer.role)) continue;
      paused += await this.mute(room, by, peer.id, source, hard);
    }
    this.audit(room.id, by, null, 'muteAll', { source, hard, paused });
    return paused;
  }

  /** Reads a member's state back from Redis and applies it to the Peer, if it is on this process. */
  private async reload(roomId: string, peerId: string): Promise<void> {
    const room = this.ctx.rooms.get(roomId);
    const peer = room?.peers.get(peerId);
    if (!room || !peer || !isStageRole(peer.role)) return;
    await this.apply(room, peer, await this.store.state(roomId, peerId)).catch((error: unknown) =>
      this.ctx.logger.warn({ err: error, room: roomId, peer: peerId }, 'applying stage state failed'),
    );
  }

  private watch(room: Room): void {
    if (this.wired.has(room)) return;
    this.wired.add(room);
    room.on('stageJoined', ({ peerId }) => {
      void this.arrive(room, peerId).catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, room: room.id, peer: peerId }, 'stage arrival failed'),
      );
    });
    room.on('stageLeft', (peerId) => {
      const peer = room.peers.get(peerId);
      // Still in the room: moved to the audience or left the stage (a disconnection keeps it).
      if (!peer) return;
      peer.onAir = false;
      peer.hardMuted.clear();
      this.forget(room.id, peerId);
    });
  }

  /**
   * Drops a member's stage state. Fired on the shared Redis connection before anything that
   * follows (a later arrival's HSETNX on the same connection runs after it).
   */
  private forget(roomId: string, peerId: string): void {
    void this.store
      .forget(roomId, peerId)
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, room: roomId, peer: peerId }, 'stage state cleanup failed'),
      );
  }

  /**
   * A member steps on stage (joins, reconnects, is promoted): hosts and co-hosts arrive on air,
   * promoted viewers as the room says; someone seen before keeps their state.
   */
  private async arrive(room: Room, peerId: string): Promise<void> {
    const peer = room.peers.get(peerId);
    if (!peer || !isStageRole(peer.role)) return;
    const onAirOnEntry = peer.role !== 'guest' || (await this.entry(room.id)) === 'onAir';
    const state = await this.store.arrive(room.id, peerId, onAirOnEntry);
    await this.apply(room, peer, state);
  }

  private async apply(room: Room, peer: Peer, state: StageMemberState): Promise<void> {
    // Replaced, gone or moved to the audience while Redis answered.
    if (room.peers.get(peer.id) !== peer || !isStageRole(peer.role)) return;
    const airChanged = peer.onAir !== state.onAir;
    const before = [...peer.hardMuted].sort().join();
    peer.onAir = state.onAir;
    peer.hardMuted.clear();
    for (const source of state.hardMuted) peer.hardMuted.add(source);
    // Published before the hard mute was read back (a quick reconnect): paused now.
    for (const source of state.hardMuted) await pauseSource(room, peer, source);
    if (airChanged || before !== [...peer.hardMuted].sort().join()) this.updated(room, peer);
    if (airChanged) this.onStageChanged(room.id);
  }

  private updated(room: Room, peer: Peer): void {
    this.ctx.io.to(channels.room(room.id)).emit('peer:updated', peer.toStagePeer());
  }

  /** The member and those who manage the stage hear who did what. */
  private tell(roomId: string, event: StageModeration): void {
    this.ctx.io
      .to(channels.peer(roomId, event.peerId))
      .to(channels.managers(roomId))
      .emit('stage:moderated', event);
  }

  private audit(
    roomId: string,
    by: StageActor,
    target: string | null,
    action: string,
    details: Record<string, unknown> = {},
  ): void {
    this.ctx.logger.info(
      { room: roomId, actor: by?.peerId ?? 'api', actorRole: by?.role ?? 'api', target, action, ...details },
      'stage moderation',
    );
  }

  /** A stage member's role, wherever they are connected (presence), or NOT_FOUND. */
  private async stageRoleOf(roomId: string, peerId: string): Promise<Role> {
    const local = this.ctx.rooms.get(roomId)?.peers.get(peerId);
    const role = local?.role ?? (await this.ctx.presence.get(roomId, peerId))?.role;
    if (!role) throw new StagecastError('NOT_FOUND', 'That person is not connected to this room');
    if (!isStageRole(role)) throw new StagecastError('BAD_REQUEST', 'That person is not on stage');
    return role;
  }

  /** Media lives on the process owning the room's stage, where hosts and members are connected. */
  private localMember(room: Room, peerId: string): Peer {
    const peer = room.peers.get(peerId);
    if (!peer) throw new StagecastError('NOT_FOUND', 'That person is not connected to this room');
    if (!isStageRole(peer.role)) throw new StagecastError('BAD_REQUEST', 'That person is not on stage');
    return peer;
  }
}

/**
 * The moderation rules (as for bans): hosts and co-hosts act on guests, only hosts act on
 * co-hosts and other hosts. `self`: whether one may act on oneself (stepping off air, yes).
 */
function requireActOn(by: PeerIdentity, peerId: string, targetRole: Role, self: boolean): void {
  if (!can(by.role, 'manageStage'))
    throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts manage the stage');
  if (peerId === by.peerId) {
    if (self) return;
    throw new StagecastError('BAD_REQUEST', 'You cannot do that to yourself');
  }
  if (targetRole === 'host' && by.role !== 'host')
    throw new StagecastError('FORBIDDEN', 'Co-hosts cannot do that to a host');
  if (targetRole === 'cohost' && !can(by.role, 'manageCohosts'))
    throw new StagecastError('FORBIDDEN', 'Only hosts can do that to a co-host');
}

/** Pauses the member's producers of one source; answers how many were playing. */
async function pauseSource(room: Room, peer: Peer, source: StageMuteSource): Promise<number> {
  let paused = 0;
  for (const producer of [...peer.producers.values()]) {
    if (producer.appData.source !== source || producer.paused || producer.closed) continue;
    await room.setProducerPaused(peer, producer.id, true);
    paused++;
  }
  return paused;
}
