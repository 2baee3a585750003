import type { Logger } from '../core/logger.js';
import type { WorkerPool } from '../media/WorkerPool.js';
import { Room, type RoomMediaOptions } from './Room.js';
import { TypedEmitter } from '../core/TypedEmitter.js';

interface RoomManagerEvents extends Record<string, unknown[]> {
  /** A live room was created on this process. */
  roomOpened: [room: Room];
}

/** The live rooms of this ingest process, created on first connection. */
export class RoomManager extends TypedEmitter<RoomManagerEvents> {
  private readonly rooms = new Map<string, Room>();
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly media: RoomMediaOptions,
    private readonly logger: Logger,
    /** How long a room with nobody connected keeps its router. */
    private readonly idleMs = 5 * 60_000,
  ) {
    super(logger);
  }

  get(roomId: string): Room | undefined {
    const room = this.rooms.get(roomId);
    return room && !room.isClosed ? room : undefined;
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  /** The room's live instance on this process (no media yet: see Room.openRouter). */
  open(roomId: string, name: string): Room {
    this.cancelIdleClose(roomId);
    const existing = this.get(roomId);
    if (existing) return existing;
    const room = new Room(roomId, name, this.pool, this.media, this.logger);
    this.rooms.set(roomId, room);
    room.once('closed', () => {
      if (this.rooms.get(roomId) === room) this.rooms.delete(roomId);
    });
    this.safeEmit('roomOpened', room);
    return room;
  }

  /** Closes the room (and its router) once nobody has been connected for `idleMs`. */
  scheduleIdleClose(room: Room): void {
    this.cancelIdleClose(room.id);
    const timer = setTimeout(() => {
      this.idleTimers.delete(room.id);
      if (room.peers.size === 0) room.close('deleted');
    }, this.idleMs);
    timer.unref();
    this.idleTimers.set(room.id, timer);
  }

  private cancelIdleClose(roomId: string): void {
    clearTimeout(this.idleTimers.get(roomId));
    this.idleTimers.delete(roomId);
  }

  closeAll(): void {
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    for (const room of this.rooms.values()) room.close('deleted');
    this.rooms.clear();
  }
}
