import type { ServerToClientEvents } from '@stagecast/protocol';
import type { ClientSocket } from './signaling.js';

type Listener = (...args: never[]) => void;

// Socket.IO's typed `on` cannot take a generic event name; listeners are typed where they are added.
interface UntypedSocket {
  on(event: string, listener: Listener): void;
  off(event: string, listener: Listener): void;
}

/**
 * The listeners of a room's server notifications, kept apart from the connection that carries
 * them, so that the room can move to another connection (another ingest process) and keep
 * every chat, hands and stage listener without their owners knowing.
 */
export class ServerListeners {
  private readonly entries = new Set<{ event: string; listener: Listener }>();

  constructor(private socket: ClientSocket) {}

  /** Listens to a notification on the current connection and on any later one; returns the remover. */
  add<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    const entry = { event, listener };
    this.entries.add(entry);
    untyped(this.socket).on(event, listener);
    return () => {
      if (this.entries.delete(entry)) untyped(this.socket).off(event, listener);
    };
  }

  /** Moves every listener from the current connection to `socket`. */
  moveTo(socket: ClientSocket): void {
    for (const { event, listener } of this.entries) {
      untyped(this.socket).off(event, listener);
      untyped(socket).on(event, listener);
    }
    this.socket = socket;
  }
}

function untyped(socket: ClientSocket): UntypedSocket {
  return socket as unknown as UntypedSocket;
}
