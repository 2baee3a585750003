import { can, isStageRole, type Role } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import type { PresenceStore } from './PresenceStore.js';
import type { RoomManager } from './RoomManager.js';
import { channels } from '../core/channels.js';
import type { StagecastServer } from '../core/io.js';
import { TypedEmitter } from '../core/TypedEmitter.js';

export type RoleChangeReason = 'invite-accepted' | 'demoted' | 'left-stage';

export interface RoleServiceEvents extends Record<string, unknown[]> {
  /**
   * A peer lost their stage role (demoted, stepped down, lost their seat), decided on this
   * process, whether or not they are connected anywhere at the time. Per-member stage state
   * must go with it: a member moved while offline is never on a Room to emit `stageLeft`.
   */
  leftStage: [roomId: string, peerId: string];
}

/**
 * Changes a peer's role wherever it is connected: Redis holds the override, and every
 * ingest process applies it to its own connections (Socket.IO server-side events).
 */
export class RoleService extends TypedEmitter<RoleServiceEvents> {
  constructor(
    private readonly io: StagecastServer,
    private readonly rooms: RoomManager,
    private readonly presence: PresenceStore,
    private readonly logger: Logger,
  ) {
    super(logger);
    io.on('setRole', (roomId, peerId, role, reason) => this.applyLocal(roomId, peerId, role, reason));
    io.on('kick', (roomId, peerId, message) => this.kickLocal(roomId, peerId, message));
  }

  async setRole(roomId: string, peerId: string, role: Role, reason: RoleChangeReason): Promise<void> {
    await this.presence.setRoleOverride(roomId, peerId, role);
    await this.presence.updateRole(roomId, peerId, role);
    this.applyLocal(roomId, peerId, role, reason);
    this.io.serverSideEmit('setRole', roomId, peerId, role, reason);
    if (!isStageRole(role)) this.safeEmit('leftStage', roomId, peerId);
  }

  /**
   * A promoted viewer reconnecting to a stage that filled meanwhile goes back to the audience
   * before their connection is set up (no Peer anywhere to change yet).
   */
  async seatLost(roomId: string, peerId: string): Promise<void> {
    await this.presence.setRoleOverride(roomId, peerId, 'viewer');
    this.safeEmit('leftStage', roomId, peerId);
  }

  /** Disconnects a peer on every process (ban). */
  kick(roomId: string, peerId: string, message: string): void {
    this.kickLocal(roomId, peerId, message);
    this.io.serverSideEmit('kick', roomId, peerId, message);
  }

  private applyLocal(roomId: string, peerId: string, role: Role, reason: RoleChangeReason): void {
    const room = this.rooms.get(roomId);
    const peer = room?.peers.get(peerId);
    if (!room || !peer || peer.role === role) return;
    room.setRole(peerId, role);
    const socket = this.io.sockets.sockets.get(peer.socketId);
    if (socket) {
      if (isStageRole(role)) void socket.join(channels.stage(roomId));
      else void socket.leave(channels.stage(roomId));
      // A co-host moved to the audience stops getting what managers get (queue, bans, links).
      if (can(role, 'manageStage')) void socket.join(channels.managers(roomId));
      else void socket.leave(channels.managers(roomId));
      socket.emit('self:role', { role, reason });
    }
    this.logger.info({ room: roomId, peer: peerId, role, reason }, 'role changed');
  }

  private kickLocal(roomId: string, peerId: string, message: string): void {
    const room = this.rooms.get(roomId);
    const peer = room?.peers.get(peerId);
    if (!room || !peer) return;
    const socket = this.io.sockets.sockets.get(peer.socketId);
    // A participant without a connection (WHIP, RTMP ingest) is taken out of the room instead;
    // its owner hears it from the room (stageLeft) and stops its media.
    if (!socket) return void room.removePeer(peerId);
    socket.emit('room:closed', { reason: 'banned', message });
    socket.disconnect(true);
  }
}
