import type Hls from 'hls.js';
import { Emitter } from './Emitter.js';

/** The part of a live stream a viewer can seek to, in the element's media seconds. */
export interface SeekableRange {
  /** The oldest point still in the live playlist (the DVR window's start). */
  start: number;
  /** The live edge: the end of the newest media listed. */
  end: number;
}

/** Where playback stands in the DVR window. */
export interface DvrState extends SeekableRange {
  /** The element's current time. */
  position: number;
  /** Seconds behind the live edge (`end - position`). */
  behind: number;
  /** Playing at the live edge (as close as the player keeps to it), not in the past. */
  atLiveEdge: boolean;
}

/** Events of a DvrControl. */
export interface DvrControlEvents extends Record<string, unknown[]> {
  /** The position, the window or `atLiveEdge` changed (about four times a second while playing). */
  dvr: [state: DvrState];
}

/** Where hls.js gives no target latency (native HLS): about three segments behind the edge. */
const NATIVE_TARGET_LATENCY_S = 6;
/** Target duration assumed before a playlist is loaded. */
const DEFAULT_TARGET_DURATION_S = 2;

/**
 * Seeking back while live (DVR) on one `<video>`. hls.js treats a position further than
 * `liveMaxLatencyDuration` behind the edge as having fallen behind and seeks back to live at
 * the next playlist update; a viewer who chose to watch the past must stay there. So while the
 * viewer is behind by choice (a seek into the past, a pause) that limit is lifted, and it is
 * restored once they go live again (or play up to the edge). hls.js' catch-up by playback
 * rate needs nothing: it acts only within one target duration of its target latency.
 */
export class DvrControl extends Emitter<DvrControlEvents> {
  /** The viewer is behind the live edge by choice: hls.js must not bring them back. */
  private pinned = false;

  constructor(
    private readonly video: HTMLVideoElement,
    /** The current hls.js instance (a new one after each reload), null with native HLS. */
    private readonly hls: () => Hls | null,
  ) {
    super();
    video.addEventListener('seeking', this.onSeeking);
    video.addEventListener('pause', this.onPause);
    video.addEventListener('timeupdate', this.onUpdate);
  }

  /** The seekable window, or null before a live playlist is loaded. */
  get seekable(): SeekableRange | null {
    const ranges = this.video.seekable;
    if (ranges.length === 0) return null;
    const start = ranges.start(0);
    const end = ranges.end(ranges.length - 1);
    return Number.isFinite(start) && Number.isFinite(end) && end >= start ? { start, end } : null;
  }

  /** Whether playback is at the live edge; false while the viewer watches the past. */
  get atLiveEdge(): boolean {
    const range = this.seekable;
    if (!range) return true;
    return !this.pinned && this.isNearEdge(range.end - this.video.currentTime);
  }

  /** True while the viewer is behind the edge by choice (hls.js will not jump back). */
  get behindByChoice(): boolean {
    return this.pinned;
  }

  get state(): DvrState | null {
    const range = this.seekable;
    if (!range) return null;
    const position = this.video.currentTime;
    return { ...range, position, behind: Math.max(0, range.end - position), atLiveEdge: this.atLiveEdge };
  }

  /**
   * Seeks `seconds` back from the current position (negative: forward), within the window.
   * Reaching the live edge forward is going live.
   */
  seekBack(seconds: number): void {
    this.seekTo(this.video.currentTime - seconds);
  }

  /** Seeks to a media time within the window (clamped); at the edge, goes live. */
  seekTo(time: number): void {
    const range = this.seekable;
    if (!range || !Number.isFinite(time)) return;
    const target = Math.min(Math.max(time, range.start), range.end);
    if (this.isNearEdge(range.end - target)) {
      this.goLive();
      return;
    }
    // Before the seek: a playlist update between the two must already find the limit lifted.
    this.pin(true);
    this.video.currentTime = target;
    this.onUpdate();
  }

  /** Back to the live edge, where hls.js keeps playback from then on. */
  goLive(): void {
    this.pin(false);
    const hls = this.hls();
    const target = hls?.liveSyncPosition ?? this.seekable?.end ?? null;
    if (target !== null && Number.isFinite(target)) this.video.currentTime = target;
    this.onUpdate();
  }

  /** Removes the element listeners; idempotent. */
  destroy(): void {
    this.video.removeEventListener('seeking', this.onSeeking);
    this.video.removeEventListener('pause', this.onPause);
    this.video.removeEventListener('timeupdate', this.onUpdate);
    this.removeAllListeners();
  }

  /** Called by the player after it made a new hls.js instance: it applies the current choice. */
  attached(): void {
    this.pin(this.pinned);
  }

  /** Emits the state (also called by the player on each playlist update). */
  readonly onUpdate = (): void => {
    const state = this.state;
    if (!state) return;
    // Playing on up to the edge (or the window sliding past) ends the choice by itself.
    if (this.pinned && !this.video.paused && this.isNearEdge(state.behind)) {
      this.pin(false);
      state.atLiveEdge = true;
    }
    this.emit('dvr', state);
  };

  private isNearEdge(behind: number): boolean {
    const hls = this.hls();
    const target = hls?.targetLatency ?? NATIVE_TARGET_LATENCY_S;
    const details = hls && hls.currentLevel >= 0 ? hls.levels[hls.currentLevel]?.details : undefined;
    const targetDuration = details?.targetduration ?? DEFAULT_TARGET_DURATION_S;
    // Two target durations past hls.js' target: its own catch-up range (one) and a stall's
    // worth more, so that a player lagging a little on a busy machine does not read as
    // "watching the past" (a seek back of 10 s or more always does).
    return behind <= target + 2 * targetDuration;
  }

  private pin(on: boolean): void {
    this.pinned = on;
    const hls = this.hls();
    // undefined restores the count-based limit the player configured.
    if (hls) hls.config.liveMaxLatencyDuration = on ? Infinity : undefined;
  }

  /** A seek from the native controls (or ours) decides whether the viewer is in the past. */
  private readonly onSeeking = (): void => {
    const range = this.seekable;
    if (!range) return;
    const behind = range.end - this.video.currentTime;
    if (!this.isNearEdge(behind)) this.pin(true);
    else if (this.pinned && !this.video.paused) this.pin(false);
    this.onUpdate();
  };

  /** A paused live stream resumes where it was paused (time shift), not at the edge. */
  private readonly onPause = (): void => {
    if (this.seekable) this.pin(true);
    this.onUpdate();
  };
}
