import { can, isStageRole, StagecastError, type ConnectErrorData } from '@stagecast/protocol';
import type { IngestContext, PeerSession } from '../core/context.js';
import type { HandlerGroup } from '../core/requests.js';
import { channels } from '../core/channels.js';
import type { StagecastSocket } from '../core/io.js';
import { Peer } from '../rooms/Peer.js';
import { handle } from './handle.js';
import { toStagecastError } from '../core/errors.js';
import { clientIp } from '../core/RateLimits.js';
import type { SessionRenewal } from '../rooms/SessionRenewal.js';
import { requireMediaOwner } from '../rooms/MediaLease.js';

/**
 * The Socket.IO transport: the token check in the handshake, one Peer per connection, and
 * the features' requests registered on it and acknowledged.
 */
export class Signaling {
  constructor(
    private readonly ctx: Pick<
      IngestContext,
      | 'io'
      | 'tokens'
      | 'store'
      | 'presence'
      | 'rooms'
      | 'media'
      | 'roles'
      | 'logger'
      | 'limits'
      | 'bans'
      | 'webhooks'
    >,
    /** See `STAGECAST_TRUST_PROXY`. */
    private readonly trustProxy: number,
    private readonly groups: HandlerGroup[],
    /** Called after a peer joined or left, e.g. to refresh the audience count. */
    private readonly onPresenceChange: (roomId: string) => void,
    /** Greatest number of people on stage at once, whatever their role. */
    private readonly maxStage: number,
    private readonly renewal: SessionRenewal,
  ) {
    ctx.io.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          const known = toStagecastError(error);
          const err =
            known.code === 'INTERNAL' ? new StagecastError('INTERNAL', 'Could not verify the token') : known;
          const { code, retryAfterMs, ownerUrl } = err.toWire();
          const data: ConnectErrorData = { code };
          if (retryAfterMs !== undefined) data.retryAfterMs = retryAfterMs;
          if (ownerUrl !== undefined) data.ownerUrl = ownerUrl;
          next(Object.assign(new Error(err.message), { data }));
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
    const ip = clientIp(socket.request, this.trustProxy);
    // Counted before the token is verified, so that a flood of bad tokens is limited too.
    await this.ctx.limits.consume('connect', ip);
    const auth: unknown = socket.handshake.auth;
    const fields = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
    const expectedRoom = typeof fields.roomId === 'string' ? fields.roomId : undefined;
    const claims = await this.ctx.tokens.verify(fields.token, expectedRoom);
    const record = await this.ctx.store.get(claims.room);
    if (!record) throw new StagecastError('ROOM_NOT_FOUND', 'This room does not exist (any more)');
    if ((await this.ctx.store.generation(claims.room, claims.link)) !== claims.gen) {
      throw new StagecastError('LINK_REVOKED', 'This link was replaced; ask the host for the new one');
    }
    // By identity only: a name proves nothing (anyone can join under the host's name).
    if (await this.ctx.bans.isBanned(claims.room, claims.sub)) {
      throw new StagecastError('BANNED', 'You were removed from this room');
    }
    await this.ctx.bans.rememberAddress(claims.room, claims.sub, ip);
    // Everything asynchronous happens here, before `connection`: a client's first request
    // may arrive right after it connects, and handlers must already be listening.
    let role = await this.ctx.presence.effectiveRole(claims.room, claims.sub, claims.role);
    // The seat is taken here, before the connection exists, so that a full stage is refused in
    // the handshake with a code the client can show, and concurrent connections cannot all
    // pass one count.
    if (isStageRole(role)) {
      const seated = await this.ctx.presence.takeStageSeat(
        claims.room,
        { peerId: claims.sub, name: claims.name, role, socketId: socket.id, since: Date.now() },
        this.maxStage,
      );
      if (seated) {
        // A client that goes away before its connection is set up never gets a `disconnect`
        // (Socket.IO drops it silently): give the seat back then. Once connected, removing the
        // entry again on disconnect is harmless (it checks the socket id).
        const release = () =>
          void this.ctx.presence.remove(claims.room, claims.sub, socket.id).catch(() => undefined);
        if (socket.conn.readyState === 'closed') release();
        else socket.conn.once('close', release);
      } else if (role === 'guest') {
        // A promoted viewer who comes back to a stage filled meanwhile has lost the seat:
        // back to the audience, where one can watch and raise a hand again.
        await this.ctx.roles.seatLost(claims.room, claims.sub);
        role = 'viewer';
      } else {
        // Hosts and co-hosts have no audience role to fall back to (they watch the stage, not
        // HLS, and their token is their role), and seating them anyway would overfill the
        // compositor's fixed inputs. A webinar's speakers are few and known in advance, so a
        // clear refusal ("the stage is full") is what the organiser needs to see: someone
        // leaves the stage, or the cap is raised.
        throw new StagecastError('STAGE_FULL', `The stage is full (${this.maxStage} people)`);
      }
    }
    if (isStageRole(role)) {
      // Only the owner of the room's media holds its stage; another process sends stage roles there.
      await requireMediaOwner(this.ctx.media, claims.room).catch(async (error: unknown) => {
        // No connection will ever remove the seat taken above.
        await this.ctx.presence.remove(claims.room, claims.sub, socket.id).catch(() => undefined);
        throw error;
      });
    }
    const room = this.ctx.rooms.open(claims.room, record.name);
    // A client gone before its connection is set up never disconnects: the room (and the media
    // lease with it) would be held for nobody. The timer does nothing once someone is connected.
    if (room.peers.size === 0) this.ctx.rooms.scheduleIdleClose(room);
    socket.data = {
      roomId: claims.room,
      peerId: claims.sub,
      name: claims.name,
      tokenRole: claims.role,
      role,
      ip,
      link: claims.link,
      gen: claims.gen,
    };
    this.renewal.start(socket, claims.exp * 1000);
  }

  private onConnection(socket: StagecastSocket): void {
    const { roomId, peerId, name, role } = socket.data;
    const { ctx } = this;
    const room = ctx.rooms.get(roomId);
    if (!room) return void socket.disconnect(true);
    const peer = new Peer(peerId, name, role, socket.id);
    const logger = ctx.logger.child({ room: roomId, peer: peerId });
    const previous = room.addPeer(peer);
    if (previous) {
      // The same person connected again (new tab, reconnect): the older connection goes.
      const old = ctx.io.sockets.sockets.get(previous.socketId);
      old?.emit('room:closed', { reason: 'replaced', message: 'You joined from another connection' });
      old?.disconnect(true);
    } else {
      // A reconnection of someone still here is not a join (and its old connection no leave).
      ctx.webhooks.emit('peer.joined', { roomId, peer: { peerId, name, role } });
    }
    const rooms = [
      channels.room(roomId),
      channels.peer(roomId, peerId),
      channels.link(roomId, socket.data.link, socket.data.gen),
    ];
    if (can(role, 'manageStage')) rooms.push(channels.managers(roomId));
    if (isStageRole(role)) rooms.push(channels.stage(roomId));
    void socket.join(rooms);

    const session: PeerSession = { socket, room, peer, logger };
    for (const group of this.groups) {
      const { requests, onDisconnect } = group(session);
      for (const handler of requests) handle(socket, logger, handler);
      if (onDisconnect) socket.once('disconnect', onDisconnect);
    }

    socket.on('disconnect', () => {
      // A replaced connection must not remove its successor.
      if (room.peers.get(peerId) === peer) {
        room.removePeer(peerId);
        ctx.webhooks.emit('peer.left', { roomId, peer: { peerId, name, role: peer.role } });
      }
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
}
