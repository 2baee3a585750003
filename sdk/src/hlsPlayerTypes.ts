/** The public types of HlsPlayer: its options, its events and what they carry. */
import type { DvrState } from './DvrControl.js';
import type { PlaylistDateRange } from './playlistCues.js';

/** Options of an HlsPlayer. */
export interface HlsPlayerOptions {
  /**
   * Play close to the live edge: hls.js low-latency mode (parts, blocking playlist reload) at
   * the server's PART-HOLD-BACK, catching up gently (up to 1.15× speed). Default true.
   */
  lowLatency?: boolean;
  /** Start playing as soon as the stream is loaded (muted if the browser demands it). Default true. */
  autoplay?: boolean;
  /** How long an outage may last, recovering with backoff, before an `error` event. Default 60 000 ms. */
  giveUpAfterMs?: number;
  /** Delay before the first retry; it doubles after each, up to 8 s. Default 1000 ms. */
  retryDelayMs?: number;
  /**
   * Let automatic quality pick no rendition larger than the video element (a small preview
   * then decodes 360p, not 720p). A quality chosen with `setLevel()` is kept. Default false.
   */
  fitToElement?: boolean;
}

/** One rendition of the stream, as offered in a quality menu. */
export interface QualityLevel {
  /** Pass to `setLevel()`. */
  index: number;
  width: number;
  height: number;
  /** Bits per second. */
  bitrate: number;
  /** e.g. `720p`. */
  label: string;
}

/** Why playback stopped for good (after the retries). */
export interface HlsPlayerError {
  kind: 'network' | 'media' | 'unsupported' | 'other';
  message: string;
}

/** Events of an HlsPlayer. */
export interface HlsPlayerEvents extends Record<string, unknown[]> {
  /** The renditions are known (empty with native HLS, where the browser picks them). */
  levels: [levels: QualityLevel[]];
  /** A new rendition is playing; `auto` tells whether adaptive selection is on. */
  levelSwitched: [index: number, auto: boolean];
  /** Frames are being shown. */
  playing: [];
  /** The browser refused sound without a user gesture: playing muted; call `unmute()` from a click. */
  autoplayMuted: [];
  /** Seconds behind the live edge, about once a second while playing. */
  latency: [seconds: number];
  /** The stream stopped arriving after it had played; recovering by itself (no reload needed). */
  reconnecting: [];
  /** Playback failed and the retries are used up; call `load()` again to try once more. */
  error: [error: HlsPlayerError];
  /** The EXT-X-DATERANGE tags of the playlist, on each load (cues: see CueClient). hls.js only. */
  dateRanges: [ranges: PlaylistDateRange[]];
  /** Where playback stands in the seekable (DVR) window; about four times a second. */
  dvr: [state: DvrState];
}
