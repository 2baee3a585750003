import Hls, { ErrorDetails, ErrorTypes, Events, type ErrorData } from 'hls.js';
import { DvrControl, type DvrState, type SeekableRange } from './DvrControl.js';
import { Emitter } from './Emitter.js';
import { HLS_LOAD_POLICIES } from './hlsRetryPolicy.js';
import { readDateRanges } from './playlistCues.js';
import { STALL_INCREASE_S, StallRecovery } from './StallRecovery.js';

import type { HlsPlayerError, HlsPlayerEvents, HlsPlayerOptions, QualityLevel } from './hlsPlayerTypes.js';

export type { HlsPlayerError, HlsPlayerEvents, HlsPlayerOptions, QualityLevel } from './hlsPlayerTypes.js';

/** Catch up by seeking after an outage when further than this behind the live edge. */
const CATCH_UP_LATENCY_S = 8;
/** A stall this soon after a network error is an outage, not a slow decoder. */
const NETWORK_ERROR_WINDOW_MS = 15_000;

const MANIFEST_ERRORS: ReadonlySet<string> = new Set([
  ErrorDetails.MANIFEST_LOAD_ERROR,
  ErrorDetails.MANIFEST_LOAD_TIMEOUT,
  ErrorDetails.MANIFEST_PARSING_ERROR,
]);

/**
 * An HLS player on a `<video>` element, framework-free: hls.js where Media Source
 * Extensions exist, the browser's own HLS otherwise (Safari, iOS).
 */
export class HlsPlayer extends Emitter<HlsPlayerEvents> {
  private hls: Hls | null = null;
  private stallRecovery: StallRecovery | null = null;
  private url: string | null = null;
  private retries = 0;
  /** Since when the stream has not been arriving, or null while it flows. */
  private outageSince: number | null = null;
  private lastNetworkErrorAt = 0;
  private hasPlayed = false;
  /** `reconnecting` was said and `playing` not yet. */
  private saidReconnecting = false;
  private lastTime = 0;
  private catchUpPending = false;
  private mediaRecoveredAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly latencyTimer: ReturnType<typeof setInterval>;
  private readonly options: Required<HlsPlayerOptions>;
  private suspendedMuted: boolean | null = null;
  private jumpOnNextUpdate = false;
  private destroyed = false;
  private readonly dvr: DvrControl;

  constructor(
    readonly video: HTMLVideoElement,
    options: HlsPlayerOptions = {},
  ) {
    super();
    this.options = {
      lowLatency: true,
      autoplay: true,
      giveUpAfterMs: 60_000,
      retryDelayMs: 1000,
      fitToElement: false,
      ...options,
    };
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('waiting', this.onWaiting);
    video.addEventListener('error', this.onNativeError);
    this.dvr = new DvrControl(video, () => this.hls);
    this.dvr.on('dvr', (state) => this.emit('dvr', state));
    this.latencyTimer = setInterval(() => {
      const latency = this.latency;
      // A stall can end without a `playing` event (e.g. the element never fired `waiting`).
      const advanced = video.currentTime > this.lastTime;
      this.lastTime = video.currentTime;
      if (this.saidReconnecting && advanced && !video.paused) this.onPlaying();
      if (video.paused || latency === null) return;
      this.stallRecovery?.tick();
      // Once, a moment after an outage: the playback rate alone would take minutes to catch up.
      if (this.catchUpPending) {
        this.catchUpPending = false;
        if (latency > CATCH_UP_LATENCY_S && !this.dvr.behindByChoice) this.jumpToLive();
      }
      this.emit('latency', latency);
    }, 1000);
  }

  /** True when the browser plays HLS itself and hls.js is not used. */
  get native(): boolean {
    return this.url !== null && this.hls === null;
  }

  /** The renditions; empty before the manifest is loaded and with native HLS. */
  get levels(): QualityLevel[] {
    return (this.hls?.levels ?? []).map((level, index) => ({
      index,
      width: level.width,
      height: level.height,
      bitrate: level.bitrate,
      label: level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kbps`,
    }));
  }

  /** Whether hls.js picks the rendition by itself (`setLevel(-1)`). */
  get autoLevel(): boolean {
    return this.hls?.autoLevelEnabled ?? true;
  }

  /** Seconds behind the live edge, or null when unknown (not loaded, not live). */
  get latency(): number | null {
    if (this.hls) {
      const latency = this.hls.latency;
      return Number.isFinite(latency) && latency > 0 ? latency : null;
    }
    const end = this.dvr.seekable?.end;
    return end === undefined ? null : Math.max(0, end - this.video.currentTime);
  }

  /**
   * Wall-clock time of the picture on screen, from EXT-X-PROGRAM-DATE-TIME (hls.js only);
   * `Date.now() - playingDate` is the glass-to-glass delay of the stream.
   */
  get playingDate(): Date | null {
    return this.hls?.playingDate ?? null;
  }

  /** True between `suspend()` and `resume()`: the picture is frozen and hidden. */
  get suspended(): boolean {
    return this.suspendedMuted !== null;
  }

  /** Loads a playlist (absolute or relative URL) and starts playing if `autoplay`. */
  load(url: string): void {
    if (this.destroyed) throw new Error('HlsPlayer was destroyed');
    this.url = url;
    this.retries = 0;
    this.outageSince = null;
    this.saidReconnecting = false;
    this.hasPlayed = false;
    this.reload();
  }

  /** Picks a rendition by index, or -1 for automatic selection. */
  setLevel(index: number): void {
    // `currentLevel` switches at once (flushing the buffer): a viewer who picks expects it now.
    if (this.hls) this.hls.currentLevel = index;
  }

  /** Seeks to where hls.js would start a live stream (a few segments behind the edge). */
  jumpToLive(): void {
    this.dvr.goLive();
    if (this.video.paused && this.suspendedMuted === null) void this.play();
  }

  /** Back to the live edge after watching the past (DVR); the same as `jumpToLive()`. */
  goLive(): void {
    this.jumpToLive();
  }

  /** The window a viewer can seek in (the live playlist's DVR window), or null before it loads. */
  get seekable(): SeekableRange | null {
    return this.dvr.seekable;
  }

  /** Playing at the live edge; false while the viewer watches the past (DVR). */
  get atLiveEdge(): boolean {
    return this.dvr.atLiveEdge;
  }

  /** Position, window and `atLiveEdge` at once, or null before a playlist is loaded. */
  get dvrState(): DvrState | null {
    return this.dvr.state;
  }

  /**
   * Seeks `seconds` back from the current position (negative: forward) within the DVR window;
   * the player stays there (it no longer jumps to live by itself) until `goLive()`.
   */
  seekBack(seconds: number): void {
    this.dvr.seekBack(seconds);
  }

  /** Seeks to a media time within `seekable` (e.g. from a seek bar); at the edge, goes live. */
  seekTo(time: number): void {
    this.dvr.seekTo(time);
  }

  /** Turns the sound on; call from a user gesture after `autoplayMuted`. */
  unmute(): void {
    this.video.muted = false;
    if (this.video.paused) void this.play();
  }

  /**
   * Pauses, mutes and stops downloading (e.g. while the viewer is on the WebRTC stage).
   * `resume()` continues from the live edge, not from where it stopped.
   */
  suspend(): void {
    if (this.suspendedMuted !== null) return;
    this.suspendedMuted = this.video.muted;
    this.video.muted = true;
    this.video.pause();
    this.hls?.stopLoad();
  }

  resume(): void {
    if (this.suspendedMuted === null) return;
    this.video.muted = this.suspendedMuted;
    this.suspendedMuted = null;
    if (this.hls) {
      // The old playlist is stale: jump once a fresh one tells where the edge is now.
      this.jumpOnNextUpdate = true;
      this.hls.startLoad(-1);
    } else {
      this.jumpToLive();
    }
    void this.play();
  }

  /** Stops everything and releases the element; idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.latencyTimer);
    this.dvr.destroy();
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('waiting', this.onWaiting);
    this.video.removeEventListener('error', this.onNativeError);
    this.hls?.destroy();
    this.hls = null;
    if (this.video.getAttribute('src')) {
      this.video.removeAttribute('src');
      this.video.load();
    }
    this.removeAllListeners();
  }

  private reload(): void {
    const url = this.url;
    if (!url || this.destroyed) return;
    clearTimeout(this.retryTimer);
    this.hls?.destroy();
    this.hls = null;
    if (Hls.isSupported()) {
      const lowLatency = this.options.lowLatency;
      const hls = new Hls({
        lowLatencyMode: lowLatency,
        // Catch up by playing slightly faster rather than seeking: no visible jump.
        maxLiveSyncPlaybackRate: lowLatency ? 1.15 : 1,
        // Each stall moves the target further from live; StallRecovery moves it back.
        liveSyncOnStallIncrease: STALL_INCREASE_S,
        backBufferLength: 30,
        capLevelToPlayerSize: this.options.fitToElement,
        // The element's seekable range is then the playlist's window, the DVR window.
        liveDurationInfinity: true,
        // Low latency keeps hls.js' own target, the server's PART-HOLD-BACK: a liveSync*
        // option would override it. Otherwise three segments behind the edge, a seek back to
        // it past seven.
        ...(lowLatency ? {} : { liveSyncDurationCount: 3, liveMaxLatencyDurationCount: 7 }),
        ...HLS_LOAD_POLICIES,
      });
      if (lowLatency) {
        // Set after construction, these apply only where the playlist gives no hold-back (no
        // parts): two segments behind, a seek back past five, as before low-latency playlists.
        hls.config.liveSyncDurationCount = 2;
        hls.config.liveMaxLatencyDurationCount = 5;
      }
      this.hls = hls;
      this.stallRecovery = new StallRecovery(hls);
      this.dvr.attached();
      hls.on(Events.MANIFEST_PARSED, () => {
        this.emit('levels', this.levels);
        if (this.options.autoplay && this.suspendedMuted === null) void this.play();
      });
      hls.on(Events.LEVEL_SWITCHED, (_event, data) =>
        this.emit('levelSwitched', data.level, hls.autoLevelEnabled),
      );
      hls.on(Events.LEVEL_UPDATED, (_event, data) => {
        this.dvr.onUpdate();
        this.stallRecovery?.levelUpdated();
        const ranges = readDateRanges(data.details.dateRanges);
        if (ranges.length > 0) this.emit('dateRanges', ranges);
        if (!this.jumpOnNextUpdate) return;
        this.jumpOnNextUpdate = false;
        this.jumpToLive();
      });
      hls.on(Events.FRAG_BUFFERED, () => {
        this.retries = 0;
        // Media flows again, even if the element is paused: a later outage counts from anew.
        if (this.outageSince !== null && !this.saidReconnecting) this.outageSince = null;
      });
      hls.on(Events.ERROR, (_event, data) => this.onHlsError(hls, data));
      hls.loadSource(url);
      hls.attachMedia(this.video);
    } else if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
      this.video.src = url;
      this.emit('levels', []);
      if (this.options.autoplay && this.suspendedMuted === null) void this.play();
    } else {
      this.emit('error', { kind: 'unsupported', message: 'This browser cannot play HLS' });
    }
  }

  private onHlsError(hls: Hls, data: ErrorData): void {
    if (hls !== this.hls) return;
    if (data.details === ErrorDetails.BUFFER_STALLED_ERROR) this.stallRecovery?.stalled();
    if (data.type === ErrorTypes.NETWORK_ERROR) {
      this.lastNetworkErrorAt = Date.now();
      if (this.video.readyState < HTMLMediaElement.HAVE_FUTURE_DATA) this.startOutage();
    }
    if (!data.fatal) return;
    this.startOutage();
    if (this.outageTooLong()) {
      this.fail(
        data.type === ErrorTypes.MEDIA_ERROR
          ? 'media'
          : data.type === ErrorTypes.NETWORK_ERROR
            ? 'network'
            : 'other',
        data.details,
      );
      return;
    }
    this.retries += 1;
    if (data.type === ErrorTypes.NETWORK_ERROR) {
      // A live master playlist can 404 for a moment after the broadcast starts: load it anew.
      const again = MANIFEST_ERRORS.has(data.details) ? () => this.reload() : () => hls.startLoad();
      this.retryTimer = setTimeout(again, this.backoff());
    } else if (data.type === ErrorTypes.MEDIA_ERROR) {
      // hls.js's documented sequence: recover; if it fails again soon, swap the audio codec too.
      if (Date.now() - this.mediaRecoveredAt > 3000) {
        this.mediaRecoveredAt = Date.now();
        hls.recoverMediaError();
      } else {
        hls.swapAudioCodec();
        hls.recoverMediaError();
      }
    } else {
      this.retryTimer = setTimeout(() => this.reload(), this.backoff());
    }
  }

  private readonly onNativeError = (): void => {
    if (this.hls || !this.url || this.destroyed) return;
    this.startOutage();
    if (this.outageTooLong()) {
      this.fail('network', this.video.error?.message || 'The stream could not be played');
      return;
    }
    this.retries += 1;
    this.retryTimer = setTimeout(() => this.reload(), this.backoff());
  };

  private readonly onPlaying = (): void => {
    this.retries = 0;
    this.hasPlayed = true;
    if (this.outageSince !== null || this.saidReconnecting) {
      this.outageSince = null;
      this.saidReconnecting = false;
      this.catchUpPending = true;
    }
    this.emit('playing');
  };

  private readonly onWaiting = (): void => {
    // A seek waits for its data (the jump back to live after an outage): not a new outage.
    if (this.video.seeking) return;
    if (Date.now() - this.lastNetworkErrorAt < NETWORK_ERROR_WINDOW_MS) this.startOutage();
  };

  /** Marks the start of an outage; says `reconnecting` once if the stream had been playing. */
  private startOutage(): void {
    if (this.outageSince !== null) return;
    this.outageSince = Date.now();
    if (!this.hasPlayed) return;
    this.saidReconnecting = true;
    this.emit('reconnecting');
  }

  private outageTooLong(): boolean {
    return this.outageSince !== null && Date.now() - this.outageSince > this.options.giveUpAfterMs;
  }

  private fail(kind: HlsPlayerError['kind'], message: string): void {
    this.outageSince = null;
    this.saidReconnecting = false;
    this.hls?.destroy();
    this.hls = null;
    this.emit('error', { kind, message });
  }

  private backoff(): number {
    return Math.min(this.options.retryDelayMs * 2 ** Math.min(this.retries - 1, 10), 8000);
  }

  /** Plays with sound if allowed, else muted (and says so). */
  private async play(): Promise<void> {
    try {
      await this.video.play();
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== 'NotAllowedError' || this.video.muted) return;
      this.video.muted = true;
      try {
        await this.video.play();
        this.emit('autoplayMuted');
      } catch {
        // Even muted playback refused (e.g. data saver); the native controls remain.
      }
    }
  }
}
