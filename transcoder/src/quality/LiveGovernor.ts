/** What the governor asks of the job. */
export type GovernorVerdict = 'keep' | 'lower' | 'raise' | 'resync';

/** Output more than this far behind the wall clock (s) is falling behind. */
export const BEHIND_LIMIT_S = 0.75;
/** Seconds of being behind before quality steps down. */
const BEHIND_FOR_S = 3;
/** A run's first seconds of output are warm-up (encoders start, first key frames): not judged. */
const WARM_UP_S = 5;
/** First wait at a lowered step before trying one step up (doubles after each failed try). */
const RAISE_AFTER_S = 60;
/** Faster than real time by this much: a backlog is being worked off, live is coming back. */
const CATCHING_UP_SPEED = 1.05;
/**
 * At the lowest step and this far behind (s), not catching up: a new FFmpeg drops the backlog
 * (one discontinuity) rather than leaving viewers ever further from live.
 */
const RESYNC_BEHIND_S = 2.5;
/** At most one such rejoin per this many seconds: a machine that cannot keep up even so is not restarted in a loop. */
const RESYNC_EVERY_S = 30;

/**
 * Keeps the broadcast live when the machine cannot keep up. FFmpeg's media time should grow
 * with the wall clock; when it lags by more than BEHIND_LIMIT_S for a few seconds and is not
 * catching up, the job steps quality down (the cheaper step runs faster than real time and
 * works the backlog off; a step that takes a new FFmpeg drops it). After a calm while it tries
 * one step up again; a step up that fails makes the next try wait twice as long.
 */
export class LiveGovernor {
  private runStart = 0;
  /** Smallest (wall − media) seen this run: the pipeline's own delay. */
  private baseline = Number.POSITIVE_INFINITY;
  private behindSince: number | null = null;
  private calmSince = 0;
  private raiseAfterS = RAISE_AFTER_S;
  private raisedAt: number | null = null;
  private samples: { wall: number; media: number }[] = [];
  /** When the last rejoin of live was asked for (kept across runs). */
  private resyncedAt: number | null = null;
  /** When this run first wrote media: warm-up counts from there. */
  private firstOutput: number | null = null;
  /** Seconds behind live at the last sample. */
  behindS = 0;

  /** A new FFmpeg run starts (its media time starts at 0). */
  startRun(now: number): void {
    this.runStart = now;
    this.baseline = Number.POSITIVE_INFINITY;
    this.behindSince = null;
    this.calmSince = now;
    this.samples = [];
    this.behindS = 0;
    this.firstOutput = null;
  }

  /** The step changed without a new FFmpeg: judge the new step afresh. */
  stepped(now: number): void {
    this.behindSince = null;
    this.calmSince = now;
  }

  /** Speed over the last five seconds (1 = real time). */
  get speed(): number {
    return this.speedOver(5000);
  }

  /** Speed over the last `ms` of samples (0 when they span too little time). */
  private speedOver(ms: number): number {
    const last = this.samples.at(-1);
    const first = this.samples.find((s) => last !== undefined && s.wall >= last.wall - ms);
    if (!first || !last || last.wall - first.wall < 500) return 0;
    return Math.round(((last.media - first.media) / (last.wall - first.wall)) * 100) / 100;
  }

  /** One progress report of the running FFmpeg. */
  observe(outTimeMs: number, now: number, level: number, lowest: number): GovernorVerdict {
    this.samples.push({ wall: now, media: outTimeMs });
    while ((this.samples[0]?.wall ?? now) < now - 5000) this.samples.shift();
    const lag = (now - this.runStart - outTimeMs) / 1000;
    if (outTimeMs > 0) this.baseline = Math.min(this.baseline, lag);
    this.behindS = Number.isFinite(this.baseline) ? Math.max(0, lag - this.baseline) : 0;
    this.firstOutput ??= outTimeMs > 0 ? now : null;
    if (this.firstOutput === null || (now - this.firstOutput) / 1000 < WARM_UP_S) return 'keep';
    if (this.behindS > BEHIND_LIMIT_S) {
      this.calmSince = now;
      // Behind, but gaining on the wall clock lately (a lower step working its backlog off):
      // give it the time to come back.
      if (this.speedOver(2000) >= CATCHING_UP_SPEED) {
        this.behindSince = null;
        return 'keep';
      }
      this.behindSince ??= now;
      if ((now - this.behindSince) / 1000 < BEHIND_FOR_S) return 'keep';
      if (level >= lowest) return this.resyncDue(now) ? 'resync' : 'keep';
      // A step up that did not hold: wait longer before the next one.
      if (this.raisedAt !== null && now - this.raisedAt < 60_000) this.raiseAfterS *= 2;
      this.raisedAt = null;
      return 'lower';
    }
    this.behindSince = null;
    if (level > 0 && (now - this.calmSince) / 1000 >= this.raiseAfterS) {
      this.raisedAt = now;
      return 'raise';
    }
    return 'keep';
  }

  private resyncDue(now: number): boolean {
    if (this.behindS <= RESYNC_BEHIND_S) return false;
    if (this.resyncedAt !== null && now - this.resyncedAt < RESYNC_EVERY_S * 1000) return false;
    this.resyncedAt = now;
    return true;
  }
}
