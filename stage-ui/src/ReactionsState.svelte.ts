import { ReactionsClient, type Reaction, type Room } from '@stagecast/sdk';
import { describeError } from './errors.js';

/** One emoji floating up over the picture. */
export interface FloatingReaction {
  id: number;
  emoji: Reaction;
  /** Horizontal position, % of the overlay's width. */
  x: number;
  /** Start delay within its burst, ms (a burst is spread over its window). */
  delay: number;
}

/** Emoji drawn per burst at most: a crowd's applause must not draw thousands of nodes. */
const MAX_PER_BURST = 12;
/** How long one floats (matches the CSS animation). */
const FLOAT_MS = 2600;

/** Reactions for both apps: sending, and the aggregates from the server as floating emoji. */
export class ReactionsState {
  floating = $state.raw<readonly FloatingReaction[]>([]);
  /** Totals since the page opened, per emoji (shown in place of motion where motion is reduced). */
  totals = $state.raw<Partial<Record<Reaction, number>>>({});
  error = $state<string | null>(null);

  readonly emoji = ReactionsClient.emoji;
  readonly #client: ReactionsClient;
  #next = 1;

  constructor(room: Room) {
    this.#client = new ReactionsClient(room);
    this.#client.on('burst', ({ counts, windowMs }) => this.#show(counts, windowMs));
  }

  async send(emoji: Reaction): Promise<void> {
    try {
      await this.#client.send(emoji);
      this.error = null;
    } catch (error) {
      // Over the rate the reaction is simply dropped; say so once, briefly.
      this.error = describeError(error);
      setTimeout(() => (this.error = null), 2000);
    }
  }

  close(): void {
    this.#client.close();
  }

  #show(counts: Partial<Record<Reaction, number>>, windowMs: number): void {
    const entries = Object.entries(counts) as [Reaction, number][];
    const totals = { ...this.totals };
    for (const [emoji, n] of entries) totals[emoji] = (totals[emoji] ?? 0) + n;
    this.totals = totals;
    const sum = entries.reduce((s, [, n]) => s + n, 0);
    // Many reactions: draw a share of each emoji, at least one of each kind sent.
    const scale = sum > MAX_PER_BURST ? MAX_PER_BURST / sum : 1;
    const added: FloatingReaction[] = [];
    for (const [emoji, n] of entries) {
      const shown = Math.max(1, Math.round(n * scale));
      for (let i = 0; i < shown; i++)
        added.push({
          id: this.#next++,
          emoji,
          x: 5 + Math.random() * 90,
          delay: Math.random() * Math.min(windowMs, 1000),
        });
    }
    this.floating = [...this.floating, ...added].slice(-60);
    const ids = new Set(added.map((f) => f.id));
    setTimeout(() => (this.floating = this.floating.filter((f) => !ids.has(f.id))), FLOAT_MS + 1000);
  }
}
