import type { Reaction, ReactionBurst } from '@stagecast/protocol';
import { Throttle } from '../core/Throttle.js';

/** At most 4 aggregate messages a second per room from each process. */
export const REACTION_WINDOW_MS = 250;

/**
 * Counts a room's reactions on this process and hands them over once per window. Each
 * process sends its own aggregate to the whole room through the Socket.IO Redis adapter, so
 * the counts of every process reach every viewer and add up, with no message per reaction.
 * The counts are ephemeral on purpose: a reaction lost with a crashed process is harmless.
 */
export class ReactionAggregator {
  private readonly pending = new Map<string, { counts: Map<Reaction, number>; since: number }>();
  private readonly throttle: Throttle;

  constructor(private readonly emit: (roomId: string, burst: ReactionBurst) => void) {
    this.throttle = new Throttle(REACTION_WINDOW_MS, (roomId) => this.flush(roomId));
  }

  add(roomId: string, emoji: Reaction): void {
    let entry = this.pending.get(roomId);
    if (!entry) this.pending.set(roomId, (entry = { counts: new Map(), since: Date.now() }));
    entry.counts.set(emoji, (entry.counts.get(emoji) ?? 0) + 1);
    this.throttle.schedule(roomId);
  }

  close(): void {
    this.throttle.close();
    this.pending.clear();
  }

  private flush(roomId: string): void {
    const entry = this.pending.get(roomId);
    this.pending.delete(roomId);
    if (!entry) return;
    this.emit(roomId, {
      counts: Object.fromEntries(entry.counts),
      windowMs: Date.now() - entry.since,
    });
  }
}
