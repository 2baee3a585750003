import { HlsPlayer, PictureClock, type DvrState, type QualityLevel } from '@stagecast/sdk';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';

/** A quiet further attempt after the SDK player gives up (a minute of outage), besides the Retry button. */
const RELOAD_AFTER_FAILURE_MS = 30_000;
/** Closer than this to the live edge counts as "live" (hls.js keeps ~2 segments of margin). */
const LIVE_EDGE_SLACK_S = 8;

/**
 * The HLS player's state for the UI. The hls.js instance itself lives in the attachment
 * on the `<video>` element, so it is created and destroyed with it.
 */
export class PlayerState {
  levels = $state<QualityLevel[]>([]);
  /** The viewer's choice: a level index, or -1 for Auto. */
  selectedLevel = $state(-1);
  /** The rendition actually playing. */
  playingLevel = $state<number | null>(null);
  latency = $state<number | null>(null);
  playing = $state(false);
  /** The browser refused autoplay with sound; a click on "Unmute" fixes it. */
  autoplayMuted = $state(false);
  error = $state<string | null>(null);
  /** The stream stopped after it had played; the player recovers by itself. */
  reconnecting = $state(false);
  muted = $state(false);
  /** Set while the viewer is on the WebRTC stage: HLS paused, muted, not downloading. */
  suspended = $state(false);
  /** The seekable (DVR) window and where playback stands in it; null before it is known. */
  dvr = $state<DvrState | null>(null);

  readonly behindLive = $derived(
    this.dvr ? !this.dvr.atLiveEdge : this.latency !== null && this.latency > LIVE_EDGE_SLACK_S,
  );
  readonly playingLabel = $derived(this.levels.find((l) => l.index === this.playingLevel)?.label ?? null);

  /** The time of the picture on screen (null while none plays): chat is held until it gets there. */
  readonly clock = new PictureClock();

  #player: HlsPlayer | null = null;
  #retry: (() => void) | null = null;

  /** Attaches a player for `url` to a `<video>`; a different url gives a new player. */
  attach(url: string, options: { live: boolean }): Attachment<HTMLVideoElement> {
    return (video) => {
      const player = new HlsPlayer(video, { lowLatency: options.live });
      this.#player = player;
      this.clock.setSource(player);
      this.reset();
      let reloadTimer: ReturnType<typeof setTimeout> | undefined;
      const retry = () => {
        clearTimeout(reloadTimer);
        this.error = null;
        player.load(url);
      };
      this.#retry = retry;
      player.on('levels', (levels) => (this.levels = levels));
      player.on('levelSwitched', (index) => (this.playingLevel = index));
      player.on('latency', (seconds) => (this.latency = options.live ? seconds : null));
      player.on('dvr', (state) => (this.dvr = options.live ? state : null));
      player.on('autoplayMuted', () => (this.autoplayMuted = true));
      player.on('playing', () => {
        this.playing = true;
        this.reconnecting = false;
        this.error = null;
      });
      player.on('reconnecting', () => (this.reconnecting = true));
      player.on('error', (error) => {
        this.playing = false;
        this.reconnecting = false;
        this.error =
          error.kind === 'unsupported'
            ? error.message
            : 'The stream has not been reachable for a while. Check your connection, then retry.';
        // The room is still live (else this element would be gone): try again now and then.
        if (error.kind !== 'unsupported') reloadTimer = setTimeout(retry, RELOAD_AFTER_FAILURE_MS);
      });
      const onPause = () => (this.playing = false);
      const onVolume = () => (this.muted = video.muted);
      video.addEventListener('pause', onPause);
      video.addEventListener('volumechange', onVolume);
      player.load(url);
      // Read without tracking: suspending must not tear the player down and rebuild it.
      if (untrack(() => this.suspended)) player.suspend();
      return () => {
        clearTimeout(reloadTimer);
        video.removeEventListener('pause', onPause);
        video.removeEventListener('volumechange', onVolume);
        player.destroy();
        if (this.#player === player) {
          this.#player = null;
          this.clock.setSource(null);
          this.#retry = null;
        }
        this.reset();
      };
    };
  }

  /** Loads the stream anew after the player gave up. */
  retry(): void {
    this.#retry?.();
  }

  setLevel(index: number): void {
    this.selectedLevel = index;
    this.#player?.setLevel(index);
  }

  jumpToLive(): void {
    this.#player?.jumpToLive();
  }

  /** Seconds back from the current position (negative: forward), within the DVR window. */
  seekBack(seconds: number): void {
    this.#player?.seekBack(seconds);
  }

  seekTo(time: number): void {
    this.#player?.seekTo(time);
  }

  unmute(): void {
    this.#player?.unmute();
    this.autoplayMuted = false;
  }

  toggleMute(): void {
    if (this.muted) this.unmute();
    else if (this.#player) this.#player.video.muted = true;
  }

  /** While on stage: the guest hears the stage live; HLS would echo it 10 s late. */
  suspend(): void {
    this.suspended = true;
    this.#player?.suspend();
  }

  /** Back in the audience: continue from the live edge, not from where the guest left. */
  resume(): void {
    this.suspended = false;
    this.#player?.resume();
  }

  private reset(): void {
    this.levels = [];
    this.selectedLevel = -1;
    this.playingLevel = null;
    this.latency = null;
    this.dvr = null;
    this.playing = false;
    this.reconnecting = false;
    this.error = null;
  }
}
