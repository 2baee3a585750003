import { REACTIONS, type Reaction, type ReactionBurst } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import type { Room } from './Room.js';

/** Events of a ReactionsClient. */
export interface ReactionsClientEvents extends Record<string, unknown[]> {
  /**
   * Reactions sent in the room lately, counted per emoji (one's own included). The server
   * aggregates: at most 4 bursts a second per server process, never one message per reaction.
   */
  burst: [burst: ReactionBurst];
}

/**
 * Emoji reactions for viewers and stage members.
 *
 * ```ts
 * const reactions = new ReactionsClient(room);
 * reactions.on('burst', ({ counts }) => animate(counts));
 * await reactions.send('👏');
 * ```
 *
 * `send` rejects with StagecastClientError RATE_LIMITED past about 5 a second (bursts of 10):
 * that reaction was dropped; BAD_REQUEST for an emoji outside `ReactionsClient.emoji`.
 */
export class ReactionsClient extends Emitter<ReactionsClientEvents> {
  /** The emoji the server accepts. */
  static readonly emoji: readonly Reaction[] = REACTIONS;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly room: Room) {
    super();
    this.offs.push(room.subscribe('reactions:burst', (burst) => this.emit('burst', burst)));
  }

  async send(emoji: Reaction): Promise<void> {
    await this.room.request('reaction:send', { emoji });
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }
}
