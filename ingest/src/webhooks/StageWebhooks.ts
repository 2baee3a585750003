import type { Room } from '../rooms/Room.js';
import type { RoomManager } from '../rooms/RoomManager.js';
import type { WebhookEmitter } from './WebhookEmitter.js';

/**
 * `stage.changed` after every join or departure of the stage (promotions and demotions
 * included). Only the process that owns a room's media holds its stage, so each change is
 * reported once.
 */
export class StageWebhooks {
  constructor(
    rooms: RoomManager,
    private readonly webhooks: WebhookEmitter,
  ) {
    rooms.on('roomOpened', (room) => this.watch(room));
    for (const room of rooms.all()) this.watch(room);
  }

  private watch(room: Room): void {
    const changed = () => this.webhooks.emit('stage.changed', { roomId: room.id, stage: room.stage() });
    room.on('stageJoined', changed);
    room.on('stageLeft', changed);
  }
}
