import { decodeClock, locateClock, type ClockRegion } from './blockClock.js';
import { StallMeter } from './StallMeter.js';

/** Options of a ClockWatcher. */
export interface ClockWatcherOptions {
  /**
   * Search the picture for the clock (a tile of the composite) instead of reading the whole
   * frame (a WebRTC track of the clock itself). Default false.
   */
  locate?: boolean;
  /** A frame later than this after the one before counts as a stall. Default 250 ms. */
  stallGapMs?: number;
}

/** What a ClockWatcher saw between `measure()` and `report()`. */
export interface ClockReport {
  /** Wall clock when a frame was presented − the time painted in it, per readable frame (ms). */
  latenciesMs: number[];
  /** Frames presented. */
  frames: number;
  /** Frames whose clock could not be read. */
  unreadable: number;
  /** Time from `measure()` to `report()`. */
  watchedMs: number;
  /** Time waiting (`waiting` until the next frame) or without a frame for longer than `stallGapMs`. */
  stalledMs: number;
  /** `waiting` events of the element. */
  waitingEvents: number;
}

/** The size the locator searches a frame at: enough for tiles of a 5 × 5 grid. */
const LOCATE_WIDTH = 320;
const LOCATE_HEIGHT = 180;
/** The size a clock region is read at: 10 pixels a cell. */
const READ_WIDTH = 160;
const READ_HEIGHT = 90;
/** Unreadable frames in a row before the clock is searched for again (the layout changed). */
const RELOCATE_AFTER = 15;
/** Searching costs a frame's time or more: at most this often. */
const LOCATE_EVERY_MS = 500;

/**
 * Reads the block clock from every frame a `<video>` presents (requestVideoFrameCallback),
 * in the browser: latency per frame, when the first frame and the first readable clock came,
 * and the time spent stalled.
 */
export class ClockWatcher {
  /** Wall clock of the first frame presented, or null. */
  firstFrameAt: number | null = null;
  /** Wall clock of the first frame whose clock was read, or null. */
  firstClockAt: number | null = null;
  private readonly locate: boolean;
  private readonly readCtx: CanvasRenderingContext2D;
  private readonly locateCtx: CanvasRenderingContext2D;
  /** Where the clock is, as fractions of the frame. */
  private region: ClockRegion | null = null;
  private lastLocateAt = 0;
  private misses = 0;
  private readonly stalls: StallMeter;
  private measuringSince: number | null = null;
  private counts = ClockWatcher.empty();

  constructor(
    private readonly video: HTMLVideoElement,
    options: ClockWatcherOptions = {},
  ) {
    this.locate = options.locate ?? false;
    this.stalls = new StallMeter(options.stallGapMs);
    this.readCtx = ClockWatcher.context(READ_WIDTH, READ_HEIGHT);
    this.locateCtx = ClockWatcher.context(LOCATE_WIDTH, LOCATE_HEIGHT);
    if (!this.locate) this.region = { x: 0, y: 0, w: 1, h: 1 };
    video.addEventListener('waiting', this.onWaiting);
    video.requestVideoFrameCallback(this.onFrame);
  }

  /** Starts (again) counting: what came before is a warm-up. */
  measure(): void {
    this.measuringSince = Date.now();
    this.stalls.start(this.measuringSince);
    this.counts = ClockWatcher.empty();
  }

  /** What was seen since `measure()`. */
  report(): ClockReport {
    const now = Date.now();
    return {
      ...this.counts,
      stalledMs: this.stalls.stalledMs(now),
      waitingEvents: this.stalls.waitingEvents,
      watchedMs: now - (this.measuringSince ?? now),
    };
  }

  private readonly onWaiting = (): void => this.stalls.waiting(Date.now());

  private readonly onFrame = (): void => {
    const now = Date.now();
    this.firstFrameAt ??= now;
    this.stalls.frame(now);
    if (this.measuringSince !== null) this.counts.frames++;
    const time = this.read(now);
    if (time !== null) {
      this.firstClockAt ??= now;
      if (this.measuringSince !== null) this.counts.latenciesMs.push(now - time);
    } else if (this.measuringSince !== null) this.counts.unreadable++;
    this.video.requestVideoFrameCallback(this.onFrame);
  };

  private read(now: number): number | null {
    const { videoWidth: vw, videoHeight: vh } = this.video;
    if (vw === 0 || vh === 0) return null;
    const lost = this.region === null || (this.locate && this.misses >= RELOCATE_AFTER);
    if (lost && now - this.lastLocateAt >= LOCATE_EVERY_MS) {
      this.lastLocateAt = now;
      this.locateCtx.drawImage(this.video, 0, 0, LOCATE_WIDTH, LOCATE_HEIGHT);
      const found = locateClock(this.locateCtx.getImageData(0, 0, LOCATE_WIDTH, LOCATE_HEIGHT));
      if (found !== null) {
        this.misses = 0;
        this.region = {
          x: found.x / LOCATE_WIDTH,
          y: found.y / LOCATE_HEIGHT,
          w: found.w / LOCATE_WIDTH,
          h: found.h / LOCATE_HEIGHT,
        };
      }
    }
    // Not found again: the old place may still be right.
    const r = this.region;
    if (r === null) return null;
    this.readCtx.drawImage(this.video, r.x * vw, r.y * vh, r.w * vw, r.h * vh, 0, 0, READ_WIDTH, READ_HEIGHT);
    const time = decodeClock(this.readCtx.getImageData(0, 0, READ_WIDTH, READ_HEIGHT));
    this.misses = time === null ? this.misses + 1 : 0;
    return time;
  }

  private static context(width: number, height: number): CanvasRenderingContext2D {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas');
    return ctx;
  }

  private static empty(): Pick<ClockReport, 'latenciesMs' | 'frames' | 'unreadable'> {
    return { latenciesMs: [], frames: 0, unreadable: 0 };
  }
}
