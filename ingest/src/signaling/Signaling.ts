import { can, isStageRole, StagecastError, type JoinSnapshot, type LayoutChoice } from '@stagecast/protocol';
import type { IngestContext, HandlerGroup, PeerSession } from '../core/context.js';
import { handle } from './handle.js';
import { channels } from '../core/channels.js';
import type { StagecastSocket } from '../core/io.js';
import { Peer } from '../rooms/Peer.js';
import type { Room } from '../rooms/Room.js';
import { z } from 'zod';

/** Parts of the join snapshot owned by other services (chat, hands, broadcast). */
export interface SnapshotProviders {
  chat: (roomId: string) => Promise<JoinSnapshot['chat']>;
  hands: (session: PeerSession) => Promise<JoinSnapshot['hands']>;
  live: (roomId: string) => Promise<JoinSnapshot['live']>;
  /** The layout hosts chose for the composite. */
  layout: (roomId: string) => Promise<LayoutChoice>;
}

export interface SignalingSettings {
  /** Greatest number of people on stage, told to every client. */
  maxStage: number;
  /** Base of the viewer link hosts get; else the host the client connected to. */
  publicUrl: string | undefined;
}

/**
 * Socket.IO connections: token check in the handshake, one Peer per connection, the
 * request handler groups, and the room's media events turned into notifications.
 */
export class Signaling {
  private readonly wiredRooms = new WeakSet<Room>();

  constructor(
    private readonly ctx: IngestContext,
    private readonly settings: SignalingSettings,
    private readonly groups: HandlerGroup[],
    private readonly snapshot: SnapshotProviders,
    /** Called after a peer joined or left, e.g. to refresh the audience count. */
    private readonly onPresenceChange: (roomId: string) => void,
  ) {
    ctx.io.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          const err =
            error instanceof StagecastError
              ? error
              : new StagecastError('INTERNAL', 'Could not verify the token');
          next(Object.assign(new Error(err.message), { data: { code: err.code } }));
        },
      );
    });
    ctx.io.on('connection', (socket) => {
      try {
        this.onConnection(socket);
      } catch (error) {
        ctx.logger.error({ err: error }, 'connection setup failed');
        socket.disconnect(true);
      }
    });
  }

  private async authenticate(socket: StagecastSocket): Promise<void> {
    const auth: unknown = socket.handshake.auth;
    const fields = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
    const expectedRoom = typeof fields.roomId === 'string' ? fields.roomId : undefined;
    const claims = await this.ctx.tokens.verify(fields.token, expectedRoom);
    const record = await this.ctx.store.get(claims.room);
    if (!record) throw new StagecastError('ROOM_NOT_FOUND', 'This room does not exist (any more)');
    if (await this.ctx.store.isBanned(claims.room, claims.sub, claims.name)) {
      throw new StagecastError('BANNED', 'You were removed from this room');
    }
    // Everything asynchronous happens here, before `connection`: a client's first request
    // may arrive right after it connects, and handlers must already be listening.
    const role = await this.ctx.presence.effectiveRole(claims.room, claims.sub, claims.role);
    await this.ctx.rooms.open(claims.room, record.name);
    socket.data = {
      roomId: claims.room,
      peerId: claims.sub,
      name: claims.name,
      tokenRole: claims.role,
      role,
    };
    // Expiry during a session: the token no longer admits this connection.
    const msLeft = claims.exp * 1000 - Date.now();
    const timer = setTimeout(
      () => {
        socket.emit('room:closed', {
          reason: 'token-expired',
          message: 'Your session expired; open the link again',
        });
        socket.disconnect(true);
      },
      Math.min(msLeft, 2 ** 31 - 1),
    );
    timer.unref();
    socket.once('disconnect', () => clearTimeout(timer));
  }

  private onConnection(socket: StagecastSocket): void {
    const { roomId, peerId, name, role } = socket.data;
    const { ctx } = this;
    const room = ctx.rooms.get(roomId);
    if (!room) return void socket.disconnect(true);
    this.wireRoom(room);
    const peer = new Peer(peerId, name, role, socket.id);
    const logger = ctx.logger.child({ room: roomId, peer: peerId });
    const previous = room.addPeer(peer);
    if (previous) {
      // The same person connected again (new tab, reconnect): the older connection goes.
      const old = ctx.io.sockets.sockets.get(previous.socketId);
      old?.emit('room:closed', { reason: 'replaced', message: 'You joined from another connection' });
      old?.disconnect(true);
    }
    const rooms = [channels.room(roomId), channels.peer(roomId, peerId)];
    if (can(role, 'manageStage')) rooms.push(channels.managers(roomId));
    if (isStageRole(role)) rooms.push(channels.stage(roomId));
    void socket.join(rooms);

    const session: PeerSession = { socket, room, peer, logger };
    handle(socket, logger, 'room:join', z.object({}).passthrough().or(z.undefined()), async () =>
      this.buildSnapshot(session),
    );
    for (const group of this.groups) group(ctx, session);

    socket.on('disconnect', () => {
      // A replaced connection must not remove its successor.
      if (room.peers.get(peerId) === peer) room.removePeer(peerId);
      if (room.peers.size === 0) ctx.rooms.scheduleIdleClose(room);
      void ctx.presence
        .remove(roomId, peerId, socket.id)
        .then(() => this.onPresenceChange(roomId))
        .catch((error: unknown) => logger.warn({ err: error }, 'presence cleanup failed'));
    });
    void ctx.presence
      .add(roomId, { peerId, name, role, socketId: socket.id, since: Date.now() })
      .then(() => this.onPresenceChange(roomId))
      .catch((error: unknown) => logger.warn({ err: error }, 'presence update failed'));
    logger.info({ role }, 'peer connected');
  }

  private async buildSnapshot(session: PeerSession): Promise<JoinSnapshot> {
    const { room, peer } = session;
    const [chat, hands, live, layout, viewers] = await Promise.all([
      this.snapshot.chat(room.id),
      this.snapshot.hands(session),
      this.snapshot.live(room.id),
      this.snapshot.layout(room.id),
      this.ctx.presence.countViewers(room.id),
    ]);
    const snapshot: JoinSnapshot = {
      self: peer.identity,
      room: { id: room.id, name: room.name },
      stage: room.stage(),
      activeSpeakerPeerId: room.activeSpeaker,
      live,
      chat,
      hands,
      audience: { viewers },
      maxStage: this.settings.maxStage,
      layout,
    };
    if (can(peer.role, 'manageStage')) {
      const record = await this.ctx.store.get(room.id);
      const headers = session.socket.handshake.headers;
      const base =
        this.settings.publicUrl?.replace(/\/$/, '') ??
        `${headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${headers.host ?? 'localhost'}`;
      if (record) snapshot.viewerLink = `${base}/watch/${record.codes.viewer}`;
    }
    return snapshot;
  }

  /** Media events stay on this process: only its own peers can consume its router. */
  private wireRoom(room: Room): void {
    if (this.wiredRooms.has(room)) return;
    this.wiredRooms.add(room);
    const stage = () => this.ctx.io.local.to(channels.stage(room.id)).to(channels.managers(room.id));
    const everyone = () => this.ctx.io.local.to(channels.room(room.id));
    room.on('stageJoined', (peer) => everyone().emit('peer:joined', peer));
    room.on('stageLeft', (peerId) => everyone().emit('peer:left', { peerId }));
    room.on('producerNew', (producer) => stage().emit('producer:new', producer));
    room.on('producerClosed', (producerId, peerId) =>
      stage().emit('producer:closed', { producerId, peerId }),
    );
    room.on('producerPaused', (producerId, peerId, paused) =>
      everyone().emit('producer:paused', { producerId, peerId, paused }),
    );
    room.on('consumerClosed', (peerId, consumerId) => {
      const peer = room.peers.get(peerId);
      if (peer) this.ctx.io.sockets.sockets.get(peer.socketId)?.emit('consumer:closed', { consumerId });
    });
    room.on('activeSpeaker', (peerId) => everyone().emit('stage:activeSpeaker', { peerId }));
    room.on('closed', (reason) => {
      const message =
        reason === 'worker-died'
          ? 'The media server restarted; reconnect to continue'
          : 'The room was closed';
      everyone().emit('room:closed', { reason, message });
      this.ctx.io.local.in(channels.room(room.id)).disconnectSockets(true);
    });
  }
}
