import { maskStreamKey, restreamTarget, type RestreamState, type StoredRestream } from '@stagecast/protocol';
import type { Logger } from 'pino';
import { FfmpegProcess, type FfmpegExit } from '../ffmpeg/ffmpegAdapter.js';
import type { FfmpegProgress } from '../ffmpeg/progress.js';
import { buildRestreamArgs } from './buildRestreamArgs.js';

/** How a destination is retried and when it counts as failed (see README, Restreaming). */
export interface RestreamTimings {
  /** First retry after this long; each failure doubles it. Default 1 s. */
  retryBaseMs: number;
  /** The retry delay stops growing here. `STAGECAST_RESTREAM_RETRY_MAX_S`, default 30 s. */
  retryMaxMs: number;
  /** Started but no byte accepted for this long: failed. `STAGECAST_RESTREAM_CONNECT_TIMEOUT_S`, default 15 s. */
  connectTimeoutMs: number;
  /** Live this long and the next failure retries at the base delay again. */
  healthyAfterMs: number;
  /** Bytes waiting in FFmpeg's stdin beyond which the destination is too slow (it is dropped, not waited for). */
  maxBufferedBytes: number;
}

export const DEFAULT_RESTREAM_TIMINGS: RestreamTimings = {
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  connectTimeoutMs: 15_000,
  healthyAfterMs: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
};

/** One published part of the top rung, with its session's init segment. */
export interface TopPart {
  /** The init segment's public name: it changes when the compositor's FFmpeg restarts. */
  map: string;
  init: Buffer;
  data: Buffer;
  /** Begins with a key frame: a destination can start here. */
  independent: boolean;
}

export interface RestreamOutputOptions {
  restream: StoredRestream;
  timings: RestreamTimings;
  cwd: string;
  logFile: string;
  ffmpegPath?: string;
  logger: Logger;
  onStatus: (state: Exclude<RestreamState, 'idle'>, reason?: string) => void;
}

/** The last FFmpeg error line, without its level and context prefixes (e.g. `[tcp @ 0x55…]`). */
export function reasonOf(line: string): string | null {
  if (!/^\[(error|fatal)\]/.test(line)) return null;
  const text = line
    .replace(/^\[(error|fatal)\]\s*/, '')
    .replace(/\[[\w-]+ @ 0x[0-9a-f]+\]\s*/g, '')
    .trim();
  return text === '' ? null : text.slice(0, 300);
}

/** One FFmpeg started for a destination, from one compositor run's init segment. */
interface Attempt {
  map: string;
  /** null while FFmpeg is starting: parts queue meanwhile. */
  proc: FfmpegProcess | null;
  queue: Buffer[];
  /** We stopped it (removed, closed, a new compositor run): its exit is no failure. */
  stopped: boolean;
  startedAt: number;
  lastSize: number;
  lastError: string | null;
}

/**
 * One restream destination: an FFmpeg of its own that copies the top rung (fed part by part
 * on stdin) to the destination over RTMP(S). Its failures stay here: a dead, slow or refusing
 * destination costs only its own FFmpeg, which is retried with backoff while the broadcast
 * is live; the compositor and the HLS output never wait for it.
 */
export class RestreamOutput {
  private attempt: Attempt | null = null;
  private state: Exclude<RestreamState, 'idle'> | null = null;
  private liveSince = 0;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private readonly redact: (text: string) => string;

  constructor(private readonly options: RestreamOutputOptions) {
    const key = options.restream.streamKey;
    const masked = maskStreamKey(key);
    // Every occurrence, also inside the URL FFmpeg echoes in its errors.
    this.redact = (text) => text.split(key).join(masked);
  }

  get id(): string {
    return this.options.restream.id;
  }

  /** Called for every published part, in order. */
  push(part: TopPart, now: number): void {
    if (this.closed) return;
    // A new compositor run (new init segment, new timeline): a new FFmpeg follows it.
    if (this.attempt && this.attempt.map !== part.map) void this.stopAttempt();
    const attempt = this.attempt;
    if (attempt) this.write(attempt, part.data);
    else if (now >= this.retryAt && part.independent) this.start(part, now);
  }

  /** Once a second: a destination that never takes data fails; a healthy one resets the backoff. */
  tick(now: number): void {
    const attempt = this.attempt;
    if (this.closed || !attempt?.proc) return;
    const { connectTimeoutMs, healthyAfterMs } = this.options.timings;
    if (this.state !== 'live' && now - attempt.startedAt > connectTimeoutMs) {
      attempt.lastError = `no data accepted within ${Math.round(connectTimeoutMs / 1000)} s`;
      attempt.proc.kill();
    }
    if (this.state === 'live' && now - this.liveSince > healthyAfterMs) this.failures = 0;
  }

  /** Removed, or the broadcast ended: FFmpeg finishes the FLV stream and exits. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopAttempt();
  }

  private start(part: TopPart, now: number): void {
    const { restream } = this.options;
    const attempt: Attempt = {
      map: part.map,
      proc: null,
      queue: [part.init, part.data],
      stopped: false,
      startedAt: now,
      lastSize: 0,
      lastError: null,
    };
    this.attempt = attempt;
    // Retries after a failure stay `failed` (with its reason) until data flows again.
    if (this.state !== 'failed') this.setState('connecting');
    FfmpegProcess.start({
      args: buildRestreamArgs(restreamTarget(restream.url, restream.streamKey)),
      cwd: this.options.cwd,
      logFile: this.options.logFile,
      ...(this.options.ffmpegPath ? { ffmpegPath: this.options.ffmpegPath } : {}),
      redact: this.redact,
      onProgress: (p) => this.onProgress(attempt, p),
      onLog: (line) => {
        attempt.lastError = reasonOf(line) ?? attempt.lastError;
      },
      onExit: (exit) => this.onExit(attempt, exit),
    }).then(
      (proc) => {
        attempt.proc = proc;
        if (attempt.stopped) {
          proc.input?.end();
          void proc.stop(2000);
          return;
        }
        for (const chunk of attempt.queue.splice(0)) this.write(attempt, chunk);
      },
      (error: unknown) => {
        if (this.attempt === attempt)
          this.fail(error instanceof Error ? this.redact(error.message) : 'FFmpeg did not start');
      },
    );
  }

  private write(attempt: Attempt, chunk: Buffer): void {
    if (!attempt.proc) {
      attempt.queue.push(chunk);
      return;
    }
    const input = attempt.proc.input;
    if (!input) return;
    if (input.writableLength > this.options.timings.maxBufferedBytes) {
      attempt.lastError = 'the destination does not take data as fast as the broadcast makes it';
      attempt.proc.kill();
      return;
    }
    input.write(chunk);
  }

  private onProgress(attempt: Attempt, p: FfmpegProgress): void {
    // Bytes written to the RTMP connection: the destination takes the stream.
    if (p.totalSize <= attempt.lastSize || attempt !== this.attempt) return;
    attempt.lastSize = p.totalSize;
    if (this.state === 'live') return;
    this.liveSince = Date.now();
    this.setState('live');
    this.options.logger.info({ restream: this.id }, 'restream live');
  }

  private onExit(attempt: Attempt, exit: FfmpegExit): void {
    if (attempt.stopped || this.closed || this.attempt !== attempt) return;
    this.fail(attempt.lastError ?? `FFmpeg exited (${exit.signal ?? `code ${String(exit.code)}`})`);
  }

  private fail(reason: string): void {
    this.attempt = null;
    this.failures++;
    const { retryBaseMs, retryMaxMs } = this.options.timings;
    const delay = Math.min(retryBaseMs * 2 ** (this.failures - 1), retryMaxMs);
    this.retryAt = Date.now() + delay;
    this.options.logger.warn({ restream: this.id, reason, retryInMs: delay }, 'restream failed');
    this.setState('failed', reason);
  }

  private async stopAttempt(): Promise<void> {
    const attempt = this.attempt;
    this.attempt = null;
    if (!attempt) return;
    attempt.stopped = true;
    const proc = attempt.proc;
    if (!proc) return;
    proc.input?.end();
    await proc.stop(2000);
  }

  /** Every change is reported; so is every failure (its reason may be new). */
  private setState(state: Exclude<RestreamState, 'idle'>, reason?: string): void {
    if (state === this.state && state !== 'failed') return;
    this.state = state;
    this.options.onStatus(state, reason);
  }
}
