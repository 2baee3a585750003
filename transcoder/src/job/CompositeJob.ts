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
import { compositeSize } from '../ffmpeg/buildFfmpegArgs.js';
import { computeLayout, onAirOf, type Layout } from '../picture/computeLayout.js';
import type { TranscoderConfig } from '../core/config.js';
import { EndWatch } from './EndWatch.js';
import { StageFence } from './StageFence.js';
import { IngestLink } from './IngestLink.js';
import { JOB_TIMINGS } from './jobTimings.js';
import type { OrphanRegistry } from './OrphanRegistry.js';
import { PlaylistWriter, type WriteFence } from '../hls/PlaylistWriter.js';
import type { PortPool } from '../core/PortPool.js';
import { QualityControl } from '../quality/QualityControl.js';
import { SlotRelay } from '../relay/SlotRelay.js';
import { videoSlotCount } from '../relay/slotCodecs.js';
import { RunSupervisor } from './RunSupervisor.js';
import { buildScene, sceneCommands, type Scene } from '../picture/scene.js';
import { SpeakerHold } from '../picture/SpeakerHold.js';
import { StageFeeds } from './StageFeeds.js';
import { Restreams } from '../restream/Restreams.js';

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
  /** Answers whether this process still owns the job; the playlists are written only while it does. */
  fence?: WriteFence;
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
 * One broadcast: follows the stage and turns each change into filter commands on the running
 * FFmpeg (the RunSupervisor keeps one running; the slot relay feeds it); the PlaylistWriter
 * turns its segments into the public playlists.
 */
export class CompositeJob {
  private link: IngestLink | undefined;
  private writer: PlaylistWriter | undefined;
  private relay: SlotRelay | undefined;
  private feeds: StageFeeds | undefined;
  private restreams: Restreams | undefined;
  private supervisor: RunSupervisor | undefined;
  private stage: StageSnapshot;
  private readonly stageFence = new StageFence();
  private layout: Layout;
  /** The layout FFmpeg shows (its last command batch was answered). */
  private onAir: Layout;
  private applying = false;
  private applyAgain = false;
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
      onPart: (part) => this.restreams?.onPart(part),
      ...(this.options.fence ? { fence: this.options.fence, onFenced: () => this.abandon() } : {}),
    });
    if (this.writer.ended || (await this.endWatch.stopWanted())) this.stop();
    const link = await IngestLink.create(
      data.roomId,
      redis,
      {
        onStage: (stage, epoch) => this.onStage(stage, epoch),
        onStop: () => this.stop(),
        // Another broadcast's cue (a late message of the previous one) is not this one's.
        onCue: (cue) => {
          if (cue.broadcastId !== data.broadcastId || this.finishing) return;
          this.writer
            ?.addCue(cue)
            .catch((error: unknown) => this.logger.warn({ err: error }, 'a cue could not be written'));
        },
        onRestreams: () => void this.restreams?.refresh().catch(() => undefined),
      },
      this.logger,
    );
    this.link = link;
    // Restreaming follows the room's destinations for as long as this job runs.
    this.restreams = Restreams.forJob(data, config, redis, this.workDir, link, this.logger);
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
    this.supervisor = new RunSupervisor({
      job: data,
      config,
      ports: this.options.ports,
      orphans,
      relay: this.relay,
      writer: this.writer,
      quality: this.quality,
      workDir: this.workDir,
      logger: this.logger,
      scene: () => this.scene(),
      onStarted: () => {
        this.onAir = this.layout;
        this.update();
        void this.reportProgress(true);
      },
      // A frame-rate step is a change of picture like any other: commands, no new FFmpeg.
      onStepChanged: () => {
        this.update();
        void this.reportProgress(true);
      },
    });
    await link.send({ type: 'hello', roomId: data.roomId, jobId: this.options.jobId });
    // Nobody answers (no ingest holds the room yet): the slate keeps the stream going.
    const firstStage = setTimeout(() => void this.supervisor?.start(), JOB_TIMINGS.firstStage);
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

  private onStage(stage: StageSnapshot, epoch: number): void {
    this.endWatch.sawStage(stage);
    // Stale or repeated snapshots, and those of a process that does not own the room's media.
    if (!this.stageFence.admit(epoch, stage.version)) return;
    this.stage = stage;
    this.update();
    void this.supervisor?.start();
  }

  /** Brings feeds, slots and the picture in line with the newest stage. Cheap; called on every event. */
  private update(): void {
    if (this.finishing || !this.feeds) return;
    this.layout = this.layoutOf(this.stage);
    const video = this.layout.boxes.flatMap(({ tile }) =>
      tile.videoProducerId === null
        ? []
        : [{ producerId: tile.videoProducerId, codec: tile.videoCodec ?? 'vp8' }],
    );
    const audio = this.stage.audioProducerIds.map((producerId) => ({ producerId, codec: 'opus' }));
    this.feeds.sync({ video, audio });
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
    return buildScene(
      this.layout,
      {
        videoSlots: videoSlotCount(this.options.data.slots),
        videoSlotOf: (producerId) => feeds?.videoSlotOf(producerId),
        isLive: (slot) => relay?.isLive('video', slot) ?? false,
      },
      this.quality.step.frameStep,
    );
  }

  /** Sends the commands that turn the running picture into the current scene; one batch at a time. */
  private async applyScene(): Promise<void> {
    const run = this.supervisor?.current;
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
        // A new layout may look the same as the old (a speaker change on an equal grid): it is
        // on air at once, with no command to wait for.
        const sentAt = Date.now();
        if (commands.length > 0) {
          const failures = await run.apply(commands, scene);
          if (failures.length > 0) this.logger.warn({ failures }, 'FFmpeg refused filter commands');
        }
        const took = { commands: commands.length, answeredMs: Date.now() - sentAt };
        if (this.onAir !== layout) {
          this.onAir = layout;
          this.logger.info({ kind: layout.kind, tiles: layout.boxes.length, ...took }, 'layout on air');
          void this.reportProgress(true);
        } else if (commands.length > 0) this.logger.debug(took, 'picture updated');
      } while (this.applyAgain && this.supervisor?.current === run && !run.exited);
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

  private async tick(): Promise<void> {
    const writer = this.writer;
    if (!writer || this.finishing) return;
    await writer.poll();
    const now = Date.now();
    this.supervisor?.checkStall(now);
    this.restreams?.tick(now);
    if (now - this.lastStageRequest > JOB_TIMINGS.stageRequest) {
      this.lastStageRequest = now;
      void this.link?.send({ type: 'stageRequest', roomId: this.options.data.roomId }).catch(() => undefined);
    }
    const end = await this.endWatch.check(now, this.live);
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
    const run = this.supervisor?.current ?? null;
    const running = run !== null && !run.exited;
    const progress: BroadcastProgress = {
      state: !this.live ? 'starting' : running ? 'live' : 'restarting',
      fps: run?.progress.fps ?? 0,
      speed: running ? this.quality.speed : 0,
      bitrateKbps: this.lastBitrateKbps,
      tiles: this.onAir.boxes.length,
      session: this.supervisor?.runs ?? 0,
      layout: onAirOf(this.onAir),
      choice: this.stage.layout,
      quality: this.quality.describe(),
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
    await this.supervisor?.close(4000);
    // A handover keeps the statuses: the next process reports its own soon.
    await this.restreams?.close(this.finishing === 'stop');
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
          sessions: this.supervisor?.runs ?? 0,
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
    this.logger.info({ outcome: outcome.kind, runs: this.supervisor?.runs ?? 0 }, 'broadcast finished');
    return outcome;
  }
}
