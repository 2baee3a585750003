import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompositeJobData } from '@stagecast/protocol';
import type { Logger } from 'pino';
import { buildFfmpegArgs, CLOCK_TEXT, runPaths } from './buildFfmpegArgs.js';
import { buildSlotsSdp, slotInput } from './buildSdp.js';
import { fontOption } from './font.js';
import { FfmpegProcess, type FfmpegExit } from './ffmpegAdapter.js';
import { FilterCommander, type CommandFailure } from './FilterCommander.js';
import { freeTcpPort, udpPortsBound, type PortPair, type PortPool } from '../core/PortPool.js';
import type { FfmpegProgress } from './progress.js';
import type { QualityStep } from '../quality/quality.js';
import { slotCodecs, type SlotKind } from '../relay/slotCodecs.js';
import type { Scene } from '../picture/scene.js';

export interface CompositeRunOptions {
  id: string;
  job: CompositeJobData;
  quality: QualityStep;
  /** The picture FFmpeg starts with. */
  scene: Scene;
  /** FFmpeg's working directory: SDP files, its playlists and segments. */
  dir: string;
  logFile: string;
  /** Address FFmpeg listens on for the relay's RTP. */
  host: string;
  ports: PortPool;
  /** The relay's SSRC of each slot. */
  ssrcs: Record<SlotKind, number[]>;
  logger: Logger;
  ffmpegPath?: string;
  onExit: (run: CompositeRun, exit: FfmpegExit) => void;
  onProgress: (run: CompositeRun, progress: FfmpegProgress) => void;
  /** Called with the pid as soon as FFmpeg runs (recorded for orphan clean-up). */
  onSpawn?: (pid: number) => void;
}

/** How long FFmpeg may take to bind its UDP sockets. */
const BIND_SOCKETS_MS = 5000;

/**
 * One FFmpeg process of a broadcast, for as long as it lives: fixed slot inputs, the graph
 * built from a scene, and a zmq commander to change the picture while it runs.
 */
export class CompositeRun {
  /** ms since the epoch of the last frame-count increase (or of the start). */
  lastAdvance = Date.now();
  progress: FfmpegProgress = { frame: 0, fps: 0, speed: 0, bitrateKbps: 0, outTimeMs: 0, totalSize: 0 };
  /** When FFmpeg's sockets were bound and the relay began sending: media time 0. */
  startedAt = 0;
  /** The scene FFmpeg shows (after the last command batch it took). */
  scene: Scene;
  private ffmpeg: FfmpegProcess | undefined;
  private commander: FilterCommander | undefined;
  private zmqPort = 0;
  private stopping = false;
  /** Resolves once FFmpeg reports its first frame: its real filter graph runs. */
  private readonly firstFrame: Promise<void>;
  private markFirstFrame: () => void = () => undefined;

  private constructor(
    readonly options: CompositeRunOptions,
    readonly slotPorts: Record<SlotKind, PortPair[]>,
  ) {
    this.scene = options.scene;
    this.firstFrame = new Promise((resolve) => (this.markFirstFrame = resolve));
  }

  get id(): string {
    return this.options.id;
  }

  get exited(): boolean {
    return this.ffmpeg?.exited ?? false;
  }

  get pid(): number {
    return this.ffmpeg?.pid ?? -1;
  }

  static async start(options: CompositeRunOptions): Promise<CompositeRun> {
    const { job, dir, ports } = options;
    const codecs = slotCodecs(job.slots);
    const video = await ports.allocate(codecs.video.length);
    const audio = await ports.allocate(codecs.audio.length).catch((error: unknown) => {
      ports.release(video);
      throw error;
    });
    const run = new CompositeRun(options, { video, audio });
    try {
      await mkdir(dir, { recursive: true });
      for (const r of job.ladder) await mkdir(join(dir, runPaths.rendition(r.name)), { recursive: true });
      const input = (kind: SlotKind) => (pair: PortPair, k: number) =>
        slotInput(codecs[kind][k]!, k, options.ssrcs[kind][k] ?? 0, pair);
      const slots = [...video.map(input('video')), ...audio.map(input('audio'))];
      await writeFile(join(dir, runPaths.sdp), buildSlotsSdp(slots, options.host));
      if (job.burnClock) await writeFile(join(dir, runPaths.clock), CLOCK_TEXT);
      const zmqPort = await freeTcpPort();
      await run.spawn(buildFfmpegArgs(job, options.quality, options.scene, zmqPort, await fontOption()));
      run.zmqPort = zmqPort;
      return run;
    } catch (error) {
      run.kill();
      ports.release([...video, ...audio]);
      throw error;
    }
  }

  /**
   * Applies a change of picture (commands from `sceneCommands`); resolves with the commands
   * FFmpeg refused. `scene` becomes the run's scene once FFmpeg answered.
   */
  async apply(commands: readonly string[], scene: Scene, timeoutMs = 5000): Promise<CommandFailure[]> {
    if (this.exited) throw new Error('FFmpeg is not running');
    if (commands.length === 0) {
      this.scene = scene;
      return [];
    }
    const commander = await this.commanderOnceRunning(timeoutMs);
    const failures = await commander.send(commands, timeoutMs);
    this.scene = scene;
    return failures;
  }

  /**
   * The commander, connected only once FFmpeg shows its first frame. FFmpeg builds its filter
   * graph twice: once while reading its options (every filter's init runs, so the zmq filter
   * binds its port, and is then freed) and again when its inputs are ready. Commands sent to
   * the first one are lost; a graph that made a frame is the real one.
   */
  private async commanderOnceRunning(timeoutMs: number): Promise<FilterCommander> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('FFmpeg has not shown its first frame yet')), timeoutMs);
    });
    await Promise.race([this.firstFrame, late]).finally(() => clearTimeout(timer));
    if (this.exited || this.stopping) throw new Error('FFmpeg is not running');
    this.commander ??= new FilterCommander(this.zmqPort);
    return this.commander;
  }

  /** SIGINT and wait: FFmpeg completes its current segments. */
  async stop(graceMs?: number): Promise<FfmpegExit | null> {
    this.stopping = true;
    this.commander?.close();
    return (await this.ffmpeg?.stop(graceMs)) ?? null;
  }

  kill(): void {
    this.stopping = true;
    this.commander?.close();
    this.ffmpeg?.kill();
  }

  private async spawn(args: string[]): Promise<void> {
    const { options } = this;
    this.ffmpeg = await FfmpegProcess.start({
      args,
      cwd: options.dir,
      logFile: options.logFile,
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
      onProgress: (p) => {
        if (p.frame > this.progress.frame) this.lastAdvance = Date.now();
        if (p.frame > 0) this.markFirstFrame();
        this.progress = p;
        options.onProgress(this, p);
      },
      onExit: (exit) => {
        this.commander?.close();
        options.ports.release([...this.slotPorts.video, ...this.slotPorts.audio]);
        options.onExit(this, exit);
      },
    });
    options.onSpawn?.(this.ffmpeg.pid);
    const ports = [...this.slotPorts.video, ...this.slotPorts.audio].flatMap((p) => [p.rtpPort, p.rtcpPort]);
    // A real check, not a sleep: packets sent before the sockets exist are lost.
    const deadline = Date.now() + BIND_SOCKETS_MS;
    while (!(await udpPortsBound(ports))) {
      if (this.ffmpeg.exited) throw new Error('FFmpeg exited before binding its ports');
      if (Date.now() > deadline) throw new Error('FFmpeg did not bind its RTP ports');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.startedAt = Date.now();
    this.lastAdvance = this.startedAt;
  }
}
