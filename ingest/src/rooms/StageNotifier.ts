import type { StagecastServer } from '../core/io.js';
import { channels } from '../core/channels.js';
import type { Room } from './Room.js';
import type { RoomManager } from './RoomManager.js';

/**
 * Tells clients what happens on a room's stage: people and producers coming and going,
 * pauses, the active speaker, the room closing. Media events stay on this process: only its
 * own peers can consume its router.
 */
export class StageNotifier {
  constructor(
    private readonly io: StagecastServer,
    rooms: RoomManager,
  ) {
    rooms.on('roomOpened', (room) => this.watch(room));
    for (const room of rooms.all()) this.watch(room);
  }

  private watch(room: Room): void {
    const stage = () => this.io.local.to(channels.stage(room.id)).to(channels.managers(room.id));
    const everyone = () => this.io.local.to(channels.room(room.id));
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
      if (peer) this.io.sockets.sockets.get(peer.socketId)?.emit('consumer:closed', { consumerId });
    });
    room.on('activeSpeaker', (peerId) => everyone().emit('stage:activeSpeaker', { peerId }));
    room.on('closed', (reason) => {
      const message =
        reason === 'worker-died'
          ? 'The media server restarted; reconnect to continue'
          : 'The room was closed';
      everyone().emit('room:closed', { reason, message });
      this.io.local.in(channels.room(room.id)).disconnectSockets(true);
    });
  }
}
