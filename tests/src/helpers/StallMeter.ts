/**
 * Time a picture spent stalled: waiting (from a `waiting` event to the next frame) or without
 * a frame for longer than `gapMs` (from the frame before); where the two overlap, once.
 * Times are milliseconds of one clock, passed in: the meter itself is pure.
 */
export class StallMeter {
  /** `waiting` events since `start()`. */
  waitingEvents = 0;
  private lastFrameAt: number | null = null;
  private waitingSince: number | null = null;
  private since: number | null = null;
  private counted = 0;

  /** @param gapMs a frame later than this after the one before ends a stall. Default 250 ms. */
  constructor(private readonly gapMs = 250) {}

  /** Counts from `now` on: what came before is a warm-up. */
  start(now: number): void {
    this.since = now;
    this.counted = 0;
    this.waitingEvents = 0;
  }

  waiting(now: number): void {
    this.waitingSince ??= now;
    if (this.since !== null) this.waitingEvents++;
  }

  frame(now: number): void {
    this.counted += this.openStall(now);
    this.lastFrameAt = now;
    this.waitingSince = null;
  }

  /** Stalled time since `start()`, including a stall still going on at `now`. */
  stalledMs(now: number): number {
    return this.counted + this.openStall(now);
  }

  /** How much of the stall going on at `now` (if any) falls after `start()`. */
  private openStall(now: number): number {
    if (this.since === null) return 0;
    const gap = this.lastFrameAt !== null && now - this.lastFrameAt > this.gapMs ? this.lastFrameAt : null;
    const from =
      this.waitingSince === null ? gap : gap === null ? this.waitingSince : Math.min(gap, this.waitingSince);
    return from === null ? 0 : now - Math.max(from, this.since);
  }
}
