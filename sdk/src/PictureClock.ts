import type { HlsPlayer } from './HlsPlayer.js';

/**
 * Where the picture's time comes from: an HlsPlayer, or a function answering the wall-clock
 * time of the picture on screen (a `Date` or ms since the epoch), or null when none is shown.
 */
export type PictureSource = HlsPlayer | (() => Date | number | null);

/**
 * The time of the picture a viewer sees: EXT-X-PROGRAM-DATE-TIME of the playback position,
 * which Stagecast's compositor sets to the capture clock (the server's wall time the picture
 * was taken). Null whenever no live picture is being watched: no player, the player is
 * suspended (the viewer is on the WebRTC stage) or paused, or the stream has no dates.
 */
export class PictureClock {
  private source: PictureSource | null;

  constructor(source: PictureSource | null = null) {
    this.source = source;
  }

  /** Follows another player (or none): e.g. after the page built a new `<video>`. */
  setSource(source: PictureSource | null): void {
    this.source = source;
  }

  /** The picture's wall-clock time in ms since the epoch, or null when nothing is watched. */
  now(): number | null {
    const source = this.source;
    if (source === null) return null;
    if (typeof source === 'function') {
      const value = source();
      if (value === null) return null;
      const ms = typeof value === 'number' ? value : value.getTime();
      return Number.isFinite(ms) ? ms : null;
    }
    // A frozen picture does not advance: holding events for it would only delay them.
    if (source.suspended || source.video.paused) return null;
    const date = source.playingDate;
    return date && Number.isFinite(date.getTime()) ? date.getTime() : null;
  }
}
