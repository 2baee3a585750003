import type Hls from 'hls.js';

/** Playback without a stall after which the target latency comes one step closer to live. */
const STALL_FREE_MS = 20_000;
/** How much each stall adds to the target latency (hls.js' `liveSyncOnStallIncrease`). */
export const STALL_INCREASE_S = 0.5;

/**
 * Brings the target latency back after stalls. hls.js adds `liveSyncOnStallIncrease` to its
 * target at every stall and never takes it off again while the manifest stays loaded: one stall
 * while a busy machine started the broadcast kept every viewer a second further behind live for
 * the whole broadcast (measured: target 2.5 s instead of the playlist's 1.5 s). Here, each
 * `STALL_FREE_MS` of playback without a stall takes one step off, down to where it started; a
 * new stall adds a step again.
 */
export class StallRecovery {
  /** hls.js' target before any stall (the playlist's hold-back), once known. */
  private base: number | null = null;
  private lastChangeAt = 0;

  constructor(private readonly hls: Hls) {}

  /** A playlist arrived: before the first stall, hls.js' target is the playlist's own. */
  levelUpdated(now = Date.now()): void {
    if (this.base !== null) return;
    const target = this.hls.targetLatency;
    if (target === null) return;
    this.base = target;
    this.lastChangeAt = now;
  }

  /** The buffer ran dry: hls.js has just raised its target. */
  stalled(now = Date.now()): void {
    this.lastChangeAt = now;
  }

  /** Called while playing: takes a step off after long enough without a stall. */
  tick(now = Date.now()): void {
    const target = this.hls.targetLatency;
    if (this.base === null || target === null || target <= this.base + 0.01) return;
    if (now - this.lastChangeAt < STALL_FREE_MS) return;
    this.lastChangeAt = now;
    // The setter also forgets hls.js' count of stalls: later ones add to this new target.
    this.hls.targetLatency = Math.max(this.base, target - STALL_INCREASE_S);
  }
}
