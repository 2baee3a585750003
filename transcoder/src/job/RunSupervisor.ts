import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompositeJobData } from '@stagecast/protocol';
import type { Logger } from 'pino';
import { CompositeRun } from '../ffmpeg/CompositeRun.js';
import type { TranscoderConfig } from '../core/config.js';
import type { FfmpegExit } from '../ffmpeg/ffmpegAdapter.js';
import { keepNewest } from '../core/fsUtil.js';
import { JOB_TIMINGS } from './jobTimings.js';
import type { OrphanRegistry } from './OrphanRegistry.js';
import type { PlaylistWriter } from '../hls/PlaylistWriter.js';
import type { PortPool } from '../core/PortPool.js';
import type { QualityControl } from '../quality/QualityControl.js';
import type { SlotRelay } from '../relay/SlotRelay.js';
import type { Scene } from '../picture/scene.js';

export interface RunSupervisorOptions {
  job: CompositeJobData;
  config: TranscoderConfig;
  ports: PortPool;
  orphans: OrphanRegistry;
  relay: SlotRelay;
  writer: PlaylistWriter;
  quality: QualityControl;
  /** The broadcast's work folder: runs/<id> per FFmpeg, logs/<id>.log. */
  workDir: string;
  logger: Logger;
  /** The picture a new FFmpeg starts with. */
  scene: () => Scene;
  /** A new FFmpeg runs: the job brings its picture up to date and reports. */
  onStarted: (run: CompositeRun) => void;
  /** The quality step changed to one the running FFmpeg takes as commands. */
  onStepChanged: () => void;
}

/**
 * Keeps one FFmpeg running for a broadcast: starts it, and replaces it only when it dies,
 * stalls or must change to a quality step with another preset (each replacement is one
 * discontinuity in the playlist). Layout changes and frame-rate steps never restart it: they
 * are commands to the running FFmpeg.
 */
export class RunSupervisor {
  /** The running FFmpeg, if any. */
  current: CompositeRun | null = null;
  /** FFmpeg runs started so far (the `session` of progress reports). */
  runs = 0;
  private starting = false;
  private failures = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RunSupervisorOptions) {}

  /** Starts FFmpeg unless one runs or is starting. */
  async start(): Promise<void> {
    const { job, config, ports, orphans, relay, writer, quality, workDir } = this.options;
    if (this.current || this.starting || this.closed) return;
    this.starting = true;
    const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const dir = join(workDir, 'runs', id);
    const step = quality.step;
    relay.untarget();
    const log = this.options.logger.child({ run: id });
    try {
      const run = await CompositeRun.start({
        id,
        job,
        quality: step,
        scene: this.options.scene(),
        dir,
        logFile: join(workDir, 'logs', `${id}.log`),
        host: config.host,
        ports,
        ssrcs: { video: relay.ssrcs('video'), audio: relay.ssrcs('audio') },
        logger: log,
        ...(config.ffmpegPath ? { ffmpegPath: config.ffmpegPath } : {}),
        onExit: (r, exit) => this.onExit(r, exit),
        onProgress: (r, p) => this.onProgress(r, p.outTimeMs),
        onSpawn: (pid) => void orphans.remember(job.roomId, id, pid, dir).catch(() => undefined),
      });
      this.runs++;
      this.failures = 0;
      this.current = run;
      relay.target(run.slotPorts);
      quality.startRun(run.startedAt);
      writer.addSession(id, dir, run.startedAt);
      log.info({ pid: run.pid, quality: step.level, frameRate: step.frameRate }, 'FFmpeg started');
      if (this.closed) void this.retire(run, 4000);
      else this.options.onStarted(run);
    } catch (error) {
      this.failures++;
      log.warn({ err: error, failures: this.failures }, 'FFmpeg failed to start');
      void rm(dir, { recursive: true, force: true });
      const backoff = Math.min(3000, 250 * 2 ** Math.min(this.failures, 4));
      this.retryTimer = setTimeout(() => void this.start(), backoff);
    } finally {
      this.starting = false;
    }
    void keepNewest(join(workDir, 'logs'), 20);
  }

  /** Replaces FFmpeg when it stopped making frames. */
  checkStall(now: number): void {
    const run = this.current;
    if (!run || run.exited) return;
    // A new FFmpeg on a busy machine may take a while for its first frame.
    const stall = run.progress.frame === 0 ? JOB_TIMINGS.firstFrame : JOB_TIMINGS.stall;
    if (now - run.lastAdvance > stall) this.restart(run, `no frame for ${stall} ms`);
  }

  /** Stops FFmpeg for good (the broadcast ends or moves): its segments are listed to the end. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    while (this.starting) await new Promise((r) => setTimeout(r, 50));
    const run = this.current;
    this.current = null;
    if (run) await this.retire(run, graceMs);
  }

  private onExit(run: CompositeRun, exit: FfmpegExit): void {
    if (exit.requested || run !== this.current) return;
    this.options.logger.warn(
      { run: run.id, code: exit.code, signal: exit.signal },
      'FFmpeg exited unexpectedly; starting it again',
    );
    this.release(run);
    this.current = null;
    void this.start();
  }

  private onProgress(run: CompositeRun, outTimeMs: number): void {
    if (run !== this.current) return;
    const change = this.options.quality.observe(outTimeMs, Date.now());
    if (!change) return;
    const { direction, step, behindS, speed, restart } = change;
    const message = {
      lower: 'stepping quality down to stay live',
      raise: 'trying one quality step up',
      resync: 'behind at the lowest quality: a new FFmpeg drops the backlog to be live again',
    }[direction];
    this.options.logger.warn(
      { direction, level: step.level, frameRate: step.frameRate, behind: behindS.toFixed(1), speed, restart },
      message,
    );
    if (restart) this.restart(run, direction === 'resync' ? 'rejoin live' : `quality step ${direction}`);
    else this.options.onStepChanged();
  }

  private restart(run: CompositeRun, reason: string): void {
    if (run !== this.current) return;
    this.options.logger.warn({ run: run.id, reason }, 'restarting FFmpeg');
    this.current = null;
    void this.retire(run, 1000).then(() => this.start());
  }

  /** Stops a run gracefully; its segments are listed up to its end. */
  private async retire(run: CompositeRun, graceMs: number): Promise<void> {
    await run.stop(graceMs);
    this.release(run);
  }

  private release(run: CompositeRun): void {
    this.options.relay.untarget();
    this.options.writer.finishSession(run.id);
    void this.options.orphans.forget(this.options.job.roomId, run.id).catch(() => undefined);
  }
}
