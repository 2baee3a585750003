import { Emitter } from './Emitter.js';
import { PictureClock, type PictureSource } from './PictureClock.js';

/** Options of a SyncedTimeline. */
export interface SyncedTimelineOptions {
  /**
   * Longest hold of one event (ms): it is delivered then even if the picture never got there
   * (a stalled player), and at once if it is further than this ahead of the picture (a
   * recording, a player far behind). Default 30 000.
   */
  maxHoldMs?: number;
  /** Hold events at all; false delivers each at once ("show messages at once"). Default true. */
  enabled?: boolean;
}

/** Events of a SyncedTimeline. */
export interface SyncedTimelineEvents extends Record<string, unknown[]> {
  /** An event was delivered: its stamp and how long it was held (ms). */
  released: [at: number, heldMs: number];
}

interface Held {
  at: number;
  deliver: () => void;
  since: number;
}

/** How often a hold is looked at again at most: the bound on how late an event lands. */
const TICK_MS = 40;
const monotonic = (): number => globalThis.performance?.now() ?? Date.now();

/**
 * Holds stamped room events (chat messages, pins, cues: anything with the server time `at`)
 * until the viewer's picture reaches that time, so the chat shows a line when the viewer
 * sees the host say it, not seconds before. Events are delivered in the order they were held.
 *
 * ```ts
 * const timeline = new SyncedTimeline(player); // an HlsPlayer, or () => pictureDate
 * chat.on('message', (m) => timeline.hold(m.ts, () => render(m)));
 * ```
 *
 * Why the clocks agree: `at` is the server's wall clock when it accepted the event and the
 * picture's time is EXT-X-PROGRAM-DATE-TIME, the compositor's wall clock when it captured the
 * picture. Both are server clocks; the viewer's own clock, however wrong, is never compared
 * with either. Without a live picture (stage members, no player, paused, not live) events are
 * delivered at once.
 */
export class SyncedTimeline extends Emitter<SyncedTimelineEvents> {
  readonly clock: PictureClock;
  private readonly maxHoldMs: number;
  private on_: boolean;
  private readonly queue: Held[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(clock: PictureClock | PictureSource | null = null, options: SyncedTimelineOptions = {}) {
    super();
    this.clock = clock instanceof PictureClock ? clock : new PictureClock(clock);
    this.maxHoldMs = options.maxHoldMs ?? 30_000;
    this.on_ = options.enabled ?? true;
  }

  /** Whether events are held; turning it off delivers everything held at once. */
  get enabled(): boolean {
    return this.on_;
  }

  set enabled(value: boolean) {
    this.on_ = value;
    this.pump();
  }

  /** Events held now. */
  get pending(): number {
    return this.queue.length;
  }

  /** Delivers `deliver` once the picture reaches `at` (ms since the epoch, server time). */
  hold(at: number, deliver: () => void): void {
    if (this.closed) return;
    this.queue.push({ at, deliver, since: monotonic() });
    this.pump();
  }

  /** Delivers everything held now (e.g. before the page shows a fresh history). */
  flush(): void {
    for (const held of this.queue.splice(0)) this.release(held);
  }

  /** Drops what is held, undelivered; idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.removeAllListeners();
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const picture = this.on_ ? this.clock.now() : null;
    const now = monotonic();
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      const due =
        picture === null ||
        head.at <= picture ||
        head.at - picture > this.maxHoldMs ||
        now - head.since >= this.maxHoldMs;
      if (!due) break;
      this.queue.shift();
      this.release(head);
    }
    const head = this.queue[0];
    if (!head || this.closed) return;
    // The picture advances in real time while playing: sleep until it should be there, and
    // look again (it may have stalled or jumped).
    const wait = picture === null ? TICK_MS : Math.min(TICK_MS, Math.max(0, head.at - picture));
    this.timer = setTimeout(() => this.pump(), wait);
  }

  private release(held: Held): void {
    try {
      held.deliver();
    } catch (error) {
      // A faulty consumer must not stop the events behind it.
      queueMicrotask(() => {
        throw error;
      });
    }
    this.emit('released', held.at, monotonic() - held.since);
  }
}
