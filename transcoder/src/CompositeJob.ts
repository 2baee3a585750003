import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  DEFAULT_LAYOUT,
  hlsLayout,
  type BroadcastProgress,
  type CompositeJobData,
  type CompositeJobResult,
  type StageSnapshot,
} from '@stagecast/protocol';
import { compositeSize } from './buildFfmpegArgs.js';
import { CompositeRun } from './CompositeRun.js';
import { computeLayout, onAirOf, type Layout } from './computeLayout.js';
import type { TranscoderConfig } from './config.js';
import { EndWatch } from './EndWatch.js';
import type { FfmpegExit } from './ffmpegAdapter.js';
import { keepNewest } from './fsUtil.js';
import { IngestLink } from './IngestLink.js';
import { JOB_TIMINGS } from './jobTimings.js';
import type { OrphanRegistry } from './OrphanRegistry.js';
import { PlaylistWriter } from './PlaylistWriter.js';
import type { PortPool } from './PortPool.js';
import { QualityControl } from './QualityControl.js';
import { SlotRelay } from './relay/SlotRelay.js';
import { buildScene, sceneCommands, type Scene } from './scene.js';
import { SpeakerHold } from './SpeakerHold.js';
import { StageFeeds } from './StageFeeds.js';

export interface CompositeJobOptions {
  data: CompositeJobData;
  jobId: string;
  redis: Redis;
  config: TranscoderConfig;
  ports: PortPool;
  orphans: OrphanRegistry;
  logger: Logger;
  reportProgress: (progress: BroadcastProgress) => Promise<void>;
  /** The quality step a previous process had reached (a takeover starts there, not at full quality). */
  qualityLevel?: number;
}

/** How a broadcast's run ended: finished (stopped) or handed back to the queue (shutdown). */
export type CompositeJobOutcome =
  { kind: 'ended'; result: CompositeJobResult } | { kind: 'handover' } | { kind: 'abandoned' };

const EMPTY_STAGE = (roomName: string): StageSnapshot => ({
  roomName,
  tiles: [],
  audioProducerIds: [],
  activeSpeakerPeerId: null,
  layout: DEFAULT_LAYOUT,
  version: 0,
});

/**
 * One broadcast: one FFmpeg for its whole life (restarted only when it dies, stalls, or must
 * step quality down), fed by the slot relay. Stage changes become filter commands on the
 * running FFmpeg; the PlaylistWriter turns its segments into the public playlists.
 */
export class CompositeJob {
  private link: IngestLink | undefined;
  private writer: PlaylistWriter | undefined;
  private relay: SlotRelay | undefined;
  private feeds: StageFeeds | undefined;
  private current: CompositeRun | null = null;
  private starting = false;
  private stage: StageSnapshot;
  private stageVersion = -1;
  private layout: Layout;
  /** The layout FFmpeg shows (its last command batch was answered). */
  private onAir: Layout;
  private applying = false;
  private applyAgain = false;
  private runs = 0;
  private failures = 0;
  private live = false;
  private lastBitrateKbps = 0;
  private lastProgressAt = 0;
  private lastStageRequest = Date.now();
  private finishing: 'stop' | 'handover' | 'abandon' | null = null;
  private tickTimer: NodeJS.Timeout | undefined;
  private speakerTimer: NodeJS.Timeout | undefined;
  private wake: () => void = () => undefined;
  private readonly logger: Logger;
  private readonly workDir: string;
  private readonly endWatch: EndWatch;
  private readonly speaker = new SpeakerHold(JOB_TIMINGS.speakerHold);
  private readonly quality: QualityControl;

  constructor(private readonly options: CompositeJobOptions) {
    this.logger = options.logger.child({ room: options.data.roomId, broadcast: options.data.broadcastId });
    this.workDir = join(options.config.dataDir, 'transcoder', options.data.roomId);
    this.endWatch = new EndWatch(options.redis, options.data, options.config.emptyStageTimeoutMs);
    this.quality = new QualityControl(options.data.frameRate, options.qualityLevel);
    this.stage = EMPTY_STAGE(options.data.roomName);
    this.layout = this.onAir = this.layoutOf(this.stage);
  }

  /** Asks the broadcast to end (ENDLIST, recording, `ended`). */
  stop(): void {
    this.finishing ??= 'stop';
    this.wake();
  }

  /** Process shutdown: flush the playlists without ENDLIST so another process continues. */
  handOver(): void {
    this.finishing ??= 'handover';
    this.wake();
  }

  /** The job's lock was lost (this process stalled): another transcoder may own the playlists now. */
  abandon(): void {
    this.finishing ??= 'abandon';
    this.wake();
  }

  get jobId(): string {
    return this.options.jobId;
  }

  async run(): Promise<CompositeJobOutcome> {
    const { data, config, redis, orphans } = this.options;
    const done = new Promise<void>((resolve) => (this.wake = resolve));
    if (this.finishing) this.wake();
    // A predecessor killed with SIGKILL may have left FFmpeg running here.
    await orphans.killOrphans(data.roomId);
    await rm(join(this.workDir, 'runs'), { recursive: true, force: true });
    await mkdir(join(this.workDir, 'logs'), { recursive: true });
    this.writer = await PlaylistWriter.open({
      job: data,
      hlsDir: join(config.dataDir, hlsLayout.liveDir(data.roomId)),
      vodDir: join(config.dataDir, hlsLayout.recordingDir(data.roomId, data.broadcastId)),
      logger: this.logger,
      onSegment: (segment, bytes) => this.onSegment(segment.durations, bytes),
    });
    if (this.writer.ended || (await this.endWatch.stopWanted())) this.stop();
    const link = await IngestLink.create(
      data.roomId,
      redis,
      { onStage: (stage) => this.onStage(stage), onStop: () => this.stop() },
      this.logger,
    );
    this.link = link;
    this.relay = await SlotRelay.create(
      config.host,
      data.slots,
      {
        onSlotLive: () => this.update(),
        onSlotQuiet: (kind, index) => {
          this.logger.info({ kind, slot: index }, 'a source went quiet; its slot shows filler');
          this.update();
        },
        onKeyFrameWanted: (feedId) => this.feeds?.keyFrameWanted(feedId),
      },
      this.logger,
    );
    this.feeds = new StageFeeds(this.relay, link, config.host, this.logger, () => this.update());
    await link.send({ type: 'hello', roomId: data.roomId, jobId: this.options.jobId });
    // Nobody answers (no ingest holds the room yet): the slate keeps the stream going.
    const firstStage = setTimeout(() => void this.startRun(), JOB_TIMINGS.firstStage);
    this.tickTimer = setInterval(
      () => void this.tick().catch((error: unknown) => this.logger.error({ err: error }, 'tick failed')),
      JOB_TIMINGS.tick,
    );
    await this.reportProgress(true);
    await done;
    clearTimeout(firstStage);
    return this.finish();
  }

  private layoutOf(stage: StageSnapshot): Layout {
    const { width, height } = compositeSize(this.options.data.ladder);
    const onStage = new Set(stage.tiles.map((t) => t.peerId));
    const speaker = this.speaker.follow(stage.activeSpeakerPeerId, onStage, Date.now());
    return computeLayout(stage, width, height, speaker);
  }

  private onStage(stage: StageSnapshot): void {
    this.endWatch.sawStage(stage);
    // Stale or repeated snapshots (e.g. the version-0 answer of a process without the room).
    if (stage.version <= this.stageVersion) return;
    this.stageVersion = stage.version;
    this.stage = stage;
    this.update();
    if (!this.current && !this.starting) void this.startRun();
  }

  /** Brings feeds, slots and the picture in line with the newest stage. Cheap; called on every event. */
  private update(): void {
    if (this.finishing || !this.feeds) return;
    this.layout = this.layoutOf(this.stage);
    const video = this.layout.boxes.flatMap((b) =>
      b.tile.videoProducerId === null ? [] : [b.tile.videoProducerId],
    );
    this.feeds.sync({ video, audio: this.stage.audioProducerIds });
    // A speaker waiting to take the large tile: look again when the hold is over.
    clearTimeout(this.speakerTimer);
    const pending = this.speaker.pendingUntil;
    if (pending !== null)
      this.speakerTimer = setTimeout(() => this.update(), Math.max(0, pending - Date.now()) + 10);
    void this.applyScene();
  }

  private scene(): Scene {
    const feeds = this.feeds;
    const relay = this.relay;
    return buildScene(this.layout, {
      videoSlots: this.options.data.slots.video,
      videoSlotOf: (producerId) => feeds?.videoSlotOf(producerId),
      isLive: (slot) => relay?.isLive('video', slot) ?? false,
    });
  }

  /** Sends the commands that turn the running picture into the current scene; one batch at a time. */
  private async applyScene(): Promise<void> {
    const run = this.current;
    if (!run || run.exited) return;
    if (this.applying) {
      this.applyAgain = true;
      return;
    }
    this.applying = true;
    try {
      do {
        this.applyAgain = false;
        const layout = this.layout;
        const scene = this.scene();
        const commands = sceneCommands(run.scene, scene);
        if (commands.length === 0) continue;
        const failures = await run.apply(commands, scene);
        if (failures.length > 0) this.logger.warn({ failures }, 'FFmpeg refused filter commands');
        if (this.onAir !== layout) {
          this.onAir = layout;
          this.logger.info(
            { kind: layout.kind, tiles: layout.boxes.length, commands: commands.length },
            'layout on air',
          );
          void this.reportProgress(true);
        }
      } while (this.applyAgain && this.current === run && !run.exited);
    } catch (error) {
      // A busy FFmpeg answers late (a new one only once its first frames pass): no restart
      // for that (the watchdog handles one that stopped); the same change is sent again soon.
      this.logger.warn(
        { err: error, run: run.id },
        'FFmpeg has not taken the layout commands yet; sending them again',
      );
      setTimeout(() => void this.applyScene(), 1000);
    } finally {
      this.applying = false;
    }
  }

  private async startRun(): Promise<void> {
    const { data, config, ports, orphans } = this.options;
    const relay = this.relay;
    if (this.current || this.starting || this.finishing || !relay) return;
    this.starting = true;
    const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const dir = join(this.workDir, 'runs', id);
    const step = this.quality.step;
    relay.untarget();
    const scene = this.scene();
    const log = this.logger.child({ run: id });
    try {
      const run = await CompositeRun.start({
        id,
        job: data,
        quality: step,
        scene,
        dir,
        logFile: join(this.workDir, 'logs', `${id}.log`),
        host: config.host,
        ports,
        ssrcs: { video: relay.ssrcs('video'), audio: relay.ssrcs('audio') },
        logger: log,
        ...(config.ffmpegPath ? { ffmpegPath: config.ffmpegPath } : {}),
        onExit: (r, exit) => this.onExit(r, exit),
        onProgress: (r, p) => this.onProgress(r, p.outTimeMs),
        onSpawn: (pid) => void orphans.remember(data.roomId, id, pid, dir).catch(() => undefined),
      });
      this.runs++;
      this.failures = 0;
      this.current = run;
      this.onAir = this.layout;
      relay.target(run.slotPorts);
      this.quality.startRun(run.startedAt);
      this.writer?.addSession(id, dir, run.startedAt);
      log.info(
        { pid: run.pid, quality: step.level, frameRate: step.frameRate, tiles: this.layout.boxes.length },
        'FFmpeg started',
      );
      if (this.finishing) void this.retire(run, 4000);
      else this.update();
      void this.reportProgress(true);
    } catch (error) {
      this.failures++;
      log.warn({ err: error, failures: this.failures }, 'FFmpeg failed to start');
      void rm(dir, { recursive: true, force: true });
      setTimeout(() => void this.startRun(), Math.min(3000, 250 * 2 ** Math.min(this.failures, 4)));
    } finally {
      this.starting = false;
    }
    void keepNewest(join(this.workDir, 'logs'), 20);
  }

  private onExit(run: CompositeRun, exit: FfmpegExit): void {
    if (exit.requested || run !== this.current) return;
    this.logger.warn(
      { run: run.id, code: exit.code, signal: exit.signal },
      'FFmpeg exited unexpectedly; starting it again',
    );
    this.release(run);
    this.current = null;
    if (!this.finishing) void this.startRun();
  }

  /** Replaces a running FFmpeg (stalled, refused commands, or a quality step): one discontinuity. */
  private restart(run: CompositeRun, reason: string): void {
    if (run !== this.current) return;
    this.logger.warn({ run: run.id, reason }, 'restarting FFmpeg');
    this.current = null;
    void this.retire(run, 1000).then(() => this.startRun());
  }

  private release(run: CompositeRun): void {
    this.relay?.untarget();
    this.writer?.finishSession(run.id);
    void this.options.orphans.forget(this.options.data.roomId, run.id).catch(() => undefined);
  }

  /** Stops a run gracefully; its segments are listed up to its end. */
  private async retire(run: CompositeRun, graceMs: number): Promise<void> {
    await run.stop(graceMs);
    this.release(run);
  }

  private onProgress(run: CompositeRun, outTimeMs: number): void {
    if (run !== this.current) return;
    const change = this.quality.observe(outTimeMs, Date.now());
    if (!change) return;
    const { direction, step, behindS, speed } = change;
    const message =
      direction === 'lower' ? 'stepping quality down to stay live' : 'trying one quality step up';
    this.logger.warn(
      { direction, level: step.level, frameRate: step.frameRate, behind: behindS.toFixed(1), speed },
      message,
    );
    this.restart(run, `quality step ${direction}`);
  }

  private async tick(): Promise<void> {
    const writer = this.writer;
    if (!writer || this.finishing) return;
    await writer.poll();
    const now = Date.now();
    const run = this.current;
    // A new FFmpeg on a busy machine may take a while for its first frame.
    const stall = run && run.progress.frame === 0 ? JOB_TIMINGS.firstFrame : JOB_TIMINGS.stall;
    if (run && !run.exited && now - run.lastAdvance > stall) this.restart(run, `no frame for ${stall} ms`);
    if (now - this.lastStageRequest > JOB_TIMINGS.stageRequest) {
      this.lastStageRequest = now;
      void this.link?.send({ type: 'stageRequest', roomId: this.options.data.roomId }).catch(() => undefined);
    }
    const end = await this.endWatch.check(now);
    if (end) {
      // 'empty stage': everyone left, or every ingest holding the room is gone; nobody is left to press "End".
      this.logger.info({ reason: end }, 'ending the broadcast');
      this.stop();
    }
    await this.reportProgress(false);
  }

  private onSegment(durations: Record<string, number>, bytes: number): void {
    const seconds = Math.max(...Object.values(durations), 0.1);
    this.lastBitrateKbps = Math.round((bytes * 8) / seconds / 1000);
    if (!this.live) {
      this.live = true;
      this.logger.info('first segment listed: live');
      void this.reportProgress(true);
    }
  }

  private async reportProgress(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < JOB_TIMINGS.progress) return;
    this.lastProgressAt = now;
    const run = this.current;
    const running = run !== null && !run.exited;
    const progress: BroadcastProgress = {
      state: !this.live ? 'starting' : running ? 'live' : 'restarting',
      fps: run?.progress.fps ?? 0,
      speed: running ? this.quality.speed : 0,
      bitrateKbps: this.lastBitrateKbps,
      tiles: this.onAir.boxes.length,
      session: this.runs,
      layout: onAirOf(this.onAir),
      choice: this.stage.layout,
      quality: this.quality.describe(run?.quality),
      behindSeconds: Math.round(this.quality.behindS * 10) / 10,
    };
    await this.options
      .reportProgress(progress)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'progress update failed'));
  }

  private async finish(): Promise<CompositeJobOutcome> {
    const { data } = this.options;
    clearInterval(this.tickTimer);
    clearTimeout(this.speakerTimer);
    while (this.starting) await new Promise((r) => setTimeout(r, 50));
    const run = this.current;
    this.current = null;
    if (run) await this.retire(run, 4000);
    this.feeds?.close();
    this.relay?.close();
    const writer = this.writer;
    let outcome: CompositeJobOutcome = { kind: this.finishing === 'abandon' ? 'abandoned' : 'handover' };
    if (writer && this.finishing !== 'abandon') {
      await writer.poll();
      if (this.finishing === 'stop') {
        const end = await writer.end();
        const result: CompositeJobResult = {
          broadcastId: data.broadcastId,
          segments: end.segments,
          sessions: this.runs,
          recorded: end.recordingUrl !== undefined,
        };
        await this.link?.send({
          type: 'ended',
          roomId: data.roomId,
          broadcastId: data.broadcastId,
          ok: true,
          ...(end.recordingUrl ? { recordingUrl: end.recordingUrl } : {}),
        });
        outcome = { kind: 'ended', result };
      }
    }
    this.link?.close();
    this.logger.info({ outcome: outcome.kind, runs: this.runs }, 'broadcast finished');
    return outcome;
  }
}
