import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BroadcastProgress, CompositeJobData, CompositeJobResult, StageSnapshot } from '@stagecast/protocol';
import { compositeSize } from './buildFfmpegArgs.js';
import { CompositeSession, neededProducers } from './CompositeSession.js';
import { computeLayout, layoutKey, structureKey, type Layout } from './computeLayout.js';
import type { TranscoderConfig } from './config.js';
import type { FfmpegExit } from './ffmpegAdapter.js';
import { keepNewest } from './fsUtil.js';
import { EndWatch } from './EndWatch.js';
import { IngestLink } from './IngestLink.js';
import { JOB_TIMINGS } from './jobTimings.js';
import type { OrphanRegistry } from './OrphanRegistry.js';
import { PlaylistWriter } from './PlaylistWriter.js';
import type { PortPool } from './PortPool.js';

export interface CompositeJobOptions {
  data: CompositeJobData;
  jobId: string;
  redis: Redis;
  config: TranscoderConfig;
  ports: PortPool;
  orphans: OrphanRegistry;
  logger: Logger;
  reportProgress: (progress: BroadcastProgress) => Promise<void>;
}

/** How a broadcast's run ended: finished (stopped) or handed back to the queue (shutdown). */
export type CompositeJobOutcome = { kind: 'ended'; result: CompositeJobResult } | { kind: 'handover' } | { kind: 'abandoned' };

/**
 * One broadcast: follows the stage with FFmpeg sessions (make-before-break), watches them,
 * feeds the PlaylistWriter, and ends with ENDLIST, the recording and `ended`.
 */
export class CompositeJob {
  private link: IngestLink | undefined;
  private writer: PlaylistWriter | undefined;
  private current: CompositeSession | null = null;
  private pending: CompositeSession | null = null;
  private starting = false;
  private restartWanted = false;
  private stage: StageSnapshot | null = null;
  private stageVersion = -1;
  private sessions = 0;
  private failures = 0;
  private live = false;
  private lastBitrateKbps = 0;
  private lastProgressAt = 0;
  private lastStageRequest = Date.now();
  private finishing: 'stop' | 'handover' | 'abandon' | null = null;
  private timers = new Set<NodeJS.Timeout>();
  private tickTimer: NodeJS.Timeout | undefined;
  private wake: () => void = () => undefined;
  private readonly logger: Logger;
  private readonly workDir: string;
  private readonly endWatch: EndWatch;

  constructor(private readonly options: CompositeJobOptions) {
    this.logger = options.logger.child({ room: options.data.roomId, broadcast: options.data.broadcastId });
    this.workDir = join(options.config.dataDir, 'transcoder', options.data.roomId);
    this.endWatch = new EndWatch(options.redis, options.data, options.config.emptyStageTimeoutMs);
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

  /**
   * The job's lock was lost (this process stalled): another transcoder may own the playlists
   * now, so FFmpeg stops and nothing more is written here.
   */
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
    await rm(join(this.workDir, 'sessions'), { recursive: true, force: true });
    await mkdir(join(this.workDir, 'logs'), { recursive: true });
    this.writer = await PlaylistWriter.open({
      job: data,
      hlsDir: join(config.dataDir, 'hls', data.roomId),
      vodDir: join(config.dataDir, 'vod', data.roomId, data.broadcastId),
      logger: this.logger,
      onSegment: (segment, bytes) => this.onSegment(segment.durations, bytes),
    });
    if (this.writer.ended || (await this.endWatch.stopWanted())) this.stop();
    this.link = await IngestLink.create(data.roomId, redis, {
      onStage: (stage) => this.onStage(stage),
      onStop: () => this.stop(),
      onFlowing: (sessionId) => this.logger.debug({ session: sessionId }, 'RTP flowing'),
    }, this.logger);
    await this.link.send({ type: 'hello', roomId: data.roomId, jobId: this.options.jobId });
    // Nobody answers (no ingest holds the room yet): the slate keeps the stream going.
    this.later(JOB_TIMINGS.firstStage, () => {
      if (this.stage === null) this.onStage({ roomName: data.roomName, tiles: [], audioProducerIds: [], activeSpeakerPeerId: null, version: 0 });
    });
    this.tickTimer = setInterval(() => void this.tick().catch((error: unknown) => this.logger.error({ err: error }, 'tick failed')), JOB_TIMINGS.tick);
    await this.reportProgress(true);
    await done;
    return this.finish();
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.finishing) fn();
    }, ms);
    this.timers.add(timer);
  }

  private onStage(stage: StageSnapshot): void {
    this.endWatch.sawStage(stage);
    // Stale or repeated snapshots (e.g. the version-0 answer of a process without the room).
    if (stage.version <= this.stageVersion && this.stage !== null) return;
    this.stageVersion = stage.version;
    this.stage = stage;
    // Whoever left stopped sending: their inputs end now, so the running picture does not
    // freeze waiting for their frames until the new layout is on air.
    const keep = new Set(neededProducers(this.layoutOf(stage), stage).map((p) => p.producerId));
    for (const session of [this.current, this.pending]) void session?.endInputsExcept(keep).catch(() => undefined);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    // Nothing on air yet (start, takeover): every millisecond is a gap in the stream.
    const onAir = this.current !== null || this.pending !== null;
    this.later(onAir ? JOB_TIMINGS.debounce : 0, () => this.applyStage());
  }

  private layoutOf(stage: StageSnapshot): Layout {
    const { width, height } = compositeSize(this.options.data.ladder);
    return computeLayout(stage, width, height);
  }

  /** Starts a session for the newest stage if its picture differs from the newest session's. */
  private applyStage(): void {
    const stage = this.stage;
    if (!stage || this.finishing) return;
    if (this.starting) {
      this.restartWanted = true;
      return;
    }
    const layout = this.layoutOf(stage);
    const newest = this.pending ?? this.current;
    if (newest && !newest.exited && !newest.lacksAny(neededProducers(layout, stage).map((p) => p.producerId))) {
      const was = newest.options;
      if (layoutKey(layout, stage.audioProducerIds) === layoutKey(was.layout, was.stage.audioProducerIds)) return;
      const speakerOnly = structureKey(layout, stage.audioProducerIds) === structureKey(was.layout, was.stage.audioProducerIds);
      const wait = newest.startedAt + JOB_TIMINGS.speakerRestart - Date.now();
      // A highlight never drops a replacement on its way: it waits until that one is on air.
      if (speakerOnly && (wait > 0 || this.pending)) {
        this.later(Math.max(wait, 1000), () => this.applyStage());
        return;
      }
    }
    void this.startSession(stage, layout);
  }

  private async startSession(stage: StageSnapshot, layout: Layout): Promise<void> {
    const { data, config, ports, orphans } = this.options;
    const link = this.link;
    if (!link) return;
    this.starting = true;
    if (this.pending) void this.dropPending('superseded by a newer stage');
    const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const dir = join(this.workDir, 'sessions', id);
    const log = this.logger.child({ session: id });
    try {
      const session = await CompositeSession.start({
        id,
        job: data,
        stage,
        layout,
        dir,
        logFile: join(this.workDir, 'logs', `${id}.log`),
        host: config.host,
        ports,
        logger: log,
        ...(config.ffmpegPath ? { ffmpegPath: config.ffmpegPath } : {}),
        bind: (request) => link.bind(id, config.host, request, request.length === 0 ? JOB_TIMINGS.emptyBindTimeout : JOB_TIMINGS.bindTimeout),
        listening: () => link.send({ type: 'listening', roomId: data.roomId, sessionId: id }),
        onExit: (s, exit) => this.onExit(s, exit),
        onInputLost: (s, input) => {
          log.warn({ producer: input.producerId, kind: input.kind }, 'an input stopped sending; replacing the session');
          this.applyStage();
        },
        onSpawn: (pid) => void orphans.remember(data.roomId, id, pid, dir).catch(() => undefined),
      });
      this.sessions++;
      this.failures = 0;
      this.writer?.addSession(id, dir);
      log.info({ tiles: layout.boxes.length, inputs: session.inputs.length, pid: session.pid, ...session.timings }, 'session started');
      if (this.finishing) {
        void this.retire(session, Number.NEGATIVE_INFINITY);
      } else if (this.current && !this.current.exited) {
        this.pending = session;
      } else {
        this.current = session;
      }
    } catch (error) {
      this.failures++;
      log.warn({ err: error, failures: this.failures }, 'session failed to start');
      void link.send({ type: 'release', roomId: data.roomId, sessionId: id }).catch(() => undefined);
      void rm(dir, { recursive: true, force: true });
      this.later(Math.min(5000, 500 * 2 ** Math.min(this.failures, 4)), () => this.applyStageOrFallback());
    } finally {
      this.starting = false;
    }
    void keepNewest(join(this.workDir, 'logs'), 20);
    if (this.restartWanted) {
      this.restartWanted = false;
      this.applyStage();
    }
  }

  /** After repeated failures with nothing on air, a picture without RTP (names only) keeps the stream up. */
  private applyStageOrFallback(): void {
    const stage = this.stage;
    if (stage && this.failures >= 2 && !this.current) {
      const names: StageSnapshot = { ...stage, tiles: stage.tiles.map((t) => ({ ...t, videoProducerId: null })), audioProducerIds: [] };
      void this.startSession(names, this.layoutOf(names));
      return;
    }
    this.applyStage();
  }

  private onExit(session: CompositeSession, exit: FfmpegExit): void {
    if (exit.requested) return;
    this.logger.warn({ session: session.id, code: exit.code, signal: exit.signal }, 'FFmpeg exited unexpectedly');
    this.release(session, null);
    if (session === this.pending) this.pending = null;
    if (session === this.current) {
      this.current = null;
      // A replacement already on its way takes over at once.
      if (this.pending) {
        this.current = this.pending;
        this.pending = null;
      }
    }
    if (!this.current && !this.starting && !this.finishing) this.applyStageOrFallback();
  }

  private release(session: CompositeSession, cutoff: number | null): void {
    const { data, orphans } = this.options;
    this.writer?.finishSession(session.id, cutoff);
    void this.link?.send({ type: 'release', roomId: data.roomId, sessionId: session.id }).catch(() => undefined);
    void orphans.forget(data.roomId, session.id).catch(() => undefined);
  }

  /** Stops a session gracefully and lists its segments up to `cutoff` (ms; null: all). */
  private retire(session: CompositeSession, cutoff: number | null, graceMs = 3000): Promise<void> {
    return session.stop(graceMs).then(() => this.release(session, cutoff));
  }

  private dropPending(reason: string): Promise<void> {
    const pending = this.pending;
    if (!pending) return Promise.resolve();
    this.pending = null;
    this.logger.info({ session: pending.id, reason }, 'dropping a replacement session');
    return this.retire(pending, Number.NEGATIVE_INFINITY, 500);
  }

  private async tick(): Promise<void> {
    const writer = this.writer;
    if (!writer || this.finishing) return;
    await writer.poll();
    const now = Date.now();
    const { pending, current } = this;
    if (pending && current) await this.followReplacement(writer, pending, current, now);
    const active = this.current;
    if (active && !active.exited && (now - active.lastAdvance > JOB_TIMINGS.stall || active.silent)) {
      this.logger.warn({ session: active.id, frame: active.progress.frame, silent: active.silent }, 'FFmpeg stalled; restarting the session');
      this.current = this.pending;
      this.pending = null;
      void this.retire(active, null, 1000);
      if (!this.current && !this.starting) this.applyStageOrFallback();
    }
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

  /**
   * Make-before-break: the replacement takes over once its first segment exists and the old
   * session has caught up to it, or cannot: the old one ends where the new one begins.
   */
  private async followReplacement(writer: PlaylistWriter, pending: CompositeSession, current: CompositeSession, now: number): Promise<void> {
    const first = await writer.firstSegmentTime(pending.id);
    if (first === null) {
      if (now - pending.startedAt <= JOB_TIMINGS.replaceTimeout) return;
      void this.dropPending('no segment in time');
      this.failures++;
      this.later(1000, () => this.applyStageOrFallback());
      return;
    }
    pending.readyAt ??= now;
    // A busy old session lags behind real time: stopped at once, its backlog would be lost.
    // One that stopped advancing (an input froze) has nothing to add.
    const covered = await writer.coveredUntil(current.id);
    const stalled = now - current.lastAdvance > 2500 || current.silent; // progress arrives once a second
    const caughtUp = (covered !== null && covered >= first) || stalled || now - pending.readyAt > JOB_TIMINGS.handoffWait;
    if (!caughtUp || this.pending !== pending || this.current !== current) return;
    this.logger.info({ from: current.id, to: pending.id, cutoff: first, covered, waitedMs: now - pending.readyAt }, 'switching to the replacement session');
    this.current = pending;
    this.pending = null;
    void this.retire(current, first);
    void this.reportProgress(true);
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
    const session = this.current;
    const onAir = session !== null && !session.exited;
    const progress: BroadcastProgress = {
      state: !this.live ? 'starting' : onAir ? 'live' : 'restarting',
      fps: session?.progress.fps ?? 0,
      speed: session?.progress.speed ?? 0,
      bitrateKbps: this.lastBitrateKbps,
      tiles: session?.tiles ?? 0,
      session: this.sessions,
    };
    await this.options.reportProgress(progress).catch((error: unknown) => this.logger.warn({ err: error }, 'progress update failed'));
  }

  private async finish(): Promise<CompositeJobOutcome> {
    const { data } = this.options;
    clearInterval(this.tickTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.starting) await new Promise((r) => setTimeout(r, 50));
    const current = this.current;
    this.current = null;
    await Promise.all([this.dropPending('finishing'), current ? this.retire(current, null, 4000) : undefined]);
    const writer = this.writer;
    let outcome: CompositeJobOutcome = { kind: this.finishing === 'abandon' ? 'abandoned' : 'handover' };
    if (writer && this.finishing !== 'abandon') {
      await writer.poll();
      if (this.finishing === 'stop') {
        const end = await writer.end();
        const result: CompositeJobResult = { broadcastId: data.broadcastId, segments: end.segments, sessions: this.sessions, recorded: end.recordingUrl !== undefined };
        await this.link?.send({ type: 'ended', roomId: data.roomId, broadcastId: data.broadcastId, ok: true, ...(end.recordingUrl ? { recordingUrl: end.recordingUrl } : {}) });
        outcome = { kind: 'ended', result };
      }
    }
    this.link?.close();
    this.logger.info({ outcome: outcome.kind, sessions: this.sessions }, 'broadcast finished');
    return outcome;
  }
}
