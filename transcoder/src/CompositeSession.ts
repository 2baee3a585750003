import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompositeJobData, RtpInput, StageSnapshot } from '@stagecast/protocol';
import type { Logger } from 'pino';
import { buildFfmpegArgs, buildLabels, sessionPaths } from './buildFfmpegArgs.js';
import { buildSdp } from './buildSdp.js';
import type { Layout } from './computeLayout.js';
import { FfmpegProcess, type FfmpegExit } from './ffmpegAdapter.js';
import type { FfmpegProgress } from './progress.js';
import { udpPortsBound, type PortPair, type PortPool } from './PortPool.js';
import { sendByes } from './rtcp.js';

export interface CompositeSessionOptions {
  id: string;
  job: CompositeJobData;
  stage: StageSnapshot;
  layout: Layout;
  /** Staging directory: FFmpeg's working directory, SDP files, its playlists and segments. */
  dir: string;
  logFile: string;
  /** Address FFmpeg listens on and ingest sends RTP to. */
  host: string;
  ports: PortPool;
  logger: Logger;
  ffmpegPath?: string;
  /** Sends `bind` and resolves with ingest's `bound` inputs. */
  bind: (ports: { producerId: string; rtpPort: number; rtcpPort: number }[]) => Promise<RtpInput[]>;
  /** Sends `listening` (FFmpeg's sockets are bound). */
  listening: () => Promise<void>;
  onExit: (session: CompositeSession, exit: FfmpegExit) => void;
  /** An input's RTP stopped without its producer leaving the stage (FFmpeg's read timed out). */
  onInputLost?: (session: CompositeSession, input: RtpInput) => void;
  /** Called with the pid as soon as FFmpeg runs (recorded for orphan clean-up). */
  onSpawn?: (pid: number) => void;
}

/** How long FFmpeg may take to bind its UDP sockets. */
const BIND_SOCKETS_MS = 5000;

/** FFmpeg's log line for an input whose read failed (`sessionPaths.sdp`), e.g. `[error] input-2.sdp: Connection timed out`. */
const INPUT_FAILED = /\binput-(\d+)\.sdp: /;

/** The producers a layout needs RTP from, video first (ordered by tile), then audio. */
export function neededProducers(layout: Layout, stage: StageSnapshot): { producerId: string; kind: 'video' | 'audio' }[] {
  const video = [...new Set(layout.boxes.flatMap((b) => (b.tile.videoProducerId === null ? [] : [b.tile.videoProducerId])))];
  const audio = [...new Set(stage.audioProducerIds)];
  return [...video.map((producerId) => ({ producerId, kind: 'video' as const })), ...audio.map((producerId) => ({ producerId, kind: 'audio' as const }))];
}

/**
 * One FFmpeg run for one layout: ports, bind, SDP files, FFmpeg, `listening` once its
 * sockets are bound. The job decides when it starts, stops, and replaces it.
 */
export class CompositeSession {
  /** ms since the epoch of the last frame-count increase (or of the start). */
  lastAdvance = Date.now();
  progress: FfmpegProgress = { frame: 0, fps: 0, speed: 0, bitrateKbps: 0 };
  readonly startedAt = Date.now();
  /** When the job first saw this session's first segment complete (make-before-break). */
  readyAt: number | null = null;
  /** ms the start took: ingest's bind answer, then FFmpeg until its sockets were bound. */
  readonly timings = { bindMs: 0, spawnMs: 0 };
  private ffmpeg: FfmpegProcess | undefined;
  /** Producers whose input has ended in this FFmpeg: ended by us (BYE) or lost. */
  private readonly endedInputs = new Set<string>();

  private constructor(
    readonly options: CompositeSessionOptions,
    readonly inputs: RtpInput[],
    private readonly pairs: PortPair[],
  ) {}

  get id(): string {
    return this.options.id;
  }

  get tiles(): number {
    return this.options.layout.boxes.length;
  }

  get exited(): boolean {
    return this.ffmpeg?.exited ?? false;
  }

  get pid(): number {
    return this.ffmpeg?.pid ?? -1;
  }

  static async start(options: CompositeSessionOptions): Promise<CompositeSession> {
    const { job, layout, stage, dir, logger } = options;
    const needed = neededProducers(layout, stage);
    const pairs = await options.ports.allocate(needed.length);
    let session: CompositeSession | undefined;
    const t0 = Date.now();
    try {
      const request = needed.map((n, i) => ({ producerId: n.producerId, ...(pairs[i] as PortPair) }));
      const bound = await options.bind(request);
      const t1 = Date.now();
      // FFmpeg's input order is ours; only inputs on the ports we asked for are taken.
      const inputs = request.flatMap((r) => bound.filter((b) => b.producerId === r.producerId && b.rtpPort === r.rtpPort && b.rtcpPort === r.rtcpPort).slice(0, 1));
      if (inputs.length < request.length) logger.warn({ asked: request.length, got: inputs.length }, 'ingest bound fewer producers than asked');
      session = new CompositeSession(options, inputs, pairs);
      await mkdir(dir, { recursive: true });
      for (const r of job.ladder) await mkdir(join(dir, sessionPaths.rendition(r.name)), { recursive: true });
      for (const [i, input] of inputs.entries()) await writeFile(join(dir, sessionPaths.sdp(i)), buildSdp(input, options.host));
      for (const [file, text] of buildLabels(job, layout)) await writeFile(join(dir, file), text);
      await session.spawn(buildFfmpegArgs(job, layout, inputs));
      session.timings.bindMs = t1 - t0;
      session.timings.spawnMs = Date.now() - t1;
      return session;
    } catch (error) {
      session?.kill();
      options.ports.release(pairs);
      throw error;
    }
  }

  /** SIGINT and wait: FFmpeg completes its current segments. */
  async stop(graceMs?: number): Promise<FfmpegExit | null> {
    return (await this.ffmpeg?.stop(graceMs)) ?? null;
  }

  kill(): void {
    this.ffmpeg?.kill();
  }

  /**
   * Ends at once the inputs of producers not in `keep` (they left the stage or stopped
   * sending): FFmpeg would otherwise hold the whole picture waiting for their frames.
   * Microphones pace the output (cameras may all be gone), so the last one is not ended:
   * the session then stalls and is replaced, as when everyone leaves.
   */
  async endInputsExcept(keep: ReadonlySet<string>): Promise<void> {
    const gone = this.inputs.filter((i) => !keep.has(i.producerId) && !this.endedInputs.has(i.producerId));
    const mics = this.inputs.filter((i) => i.kind === 'audio' && !this.endedInputs.has(i.producerId));
    if (mics.length > 0 && mics.every((mic) => gone.includes(mic))) return;
    for (const input of gone) this.endedInputs.add(input.producerId);
    await sendByes(this.options.host, gone);
  }

  /** Every microphone input (without any, every input) was lost: nothing paces FFmpeg any more. */
  get silent(): boolean {
    const mics = this.inputs.filter((i) => i.kind === 'audio');
    const pacing = mics.length > 0 ? mics : this.inputs;
    return pacing.length > 0 && pacing.every((i) => this.endedInputs.has(i.producerId));
  }

  /** Whether any of these producers' inputs has ended here: this session no longer shows them. */
  lacksAny(producerIds: Iterable<string>): boolean {
    for (const id of producerIds) if (this.endedInputs.has(id)) return true;
    return false;
  }

  waitExit(): Promise<FfmpegExit | null> {
    return this.ffmpeg?.waitExit() ?? Promise.resolve(null);
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
        this.progress = p;
      },
      onExit: (exit) => {
        options.ports.release(this.pairs);
        options.onExit(this, exit);
      },
      onLog: (line) => this.onLog(line),
    });
    options.onSpawn?.(this.ffmpeg.pid);
    const ports = this.inputs.flatMap((i) => [i.rtpPort, i.rtcpPort]);
    // A real check, not a sleep: ingest must not send before the sockets exist (the first
    // packets, with the key frame, would be lost).
    const deadline = Date.now() + BIND_SOCKETS_MS;
    while (!(await udpPortsBound(ports))) {
      if (this.ffmpeg.exited) throw new Error('FFmpeg exited before binding its ports');
      if (Date.now() > deadline) throw new Error('FFmpeg did not bind its RTP ports');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.lastAdvance = Date.now();
    await options.listening();
  }

  private onLog(line: string): void {
    const match = INPUT_FAILED.exec(line);
    const input = match ? this.inputs[Number(match[1])] : undefined;
    if (!input || this.endedInputs.has(input.producerId)) return;
    this.endedInputs.add(input.producerId);
    this.options.onInputLost?.(this, input);
  }
}
