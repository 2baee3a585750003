import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  broadcastKey,
  COMPOSITE_QUEUE,
  compositorChannel,
  DEFAULT_LADDER,
  hlsPaths,
  StagecastError,
  type BroadcastProgress,
  type BroadcastRecord,
  type CompositeJobData,
  type CompositeJobResult,
  type CompositorMessage,
  type LiveState,
  type Recording,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { readRecord } from '../core/validation.js';
import type { BroadcastSettings } from '../core/config.js';
import { liveWindowSegments } from './liveWindow.js';
import { channels } from '../core/channels.js';
import type { ProgressStore } from './ProgressStore.js';
import { broadcastProgressSchema, broadcastRecordSchema, recordingSchema } from '@stagecast/protocol/schemas';
import { progressStateSchema } from './schemas.js';
import { notificationOptions, requestOptions } from '../core/redisConnections.js';

/** What the broadcast service needs besides the job settings. */
export interface BroadcastOptions extends BroadcastSettings {
  /** BullMQ opens connections of its own. */
  redisUrl: string;
  /** See `STAGECAST_REDIS_TIMEOUT_MS`: adding a job fails after this while Redis is away. */
  redisTimeoutMs: number;
  /** Greatest number of people on stage: the job's input slots follow from it. */
  maxStage: number;
}

/** `.` never appears in room ids (base64url), so the job id splits back unambiguously. */
const jobIdOf = (roomId: string, broadcastId: string) => `${roomId}.${broadcastId}`;
/** How often `live()` checks the job of a broadcast that looks live (see there). */
const JOB_CHECK_INTERVAL_MS = 5000;
const roomOfJob = (jobId: string) => jobId.slice(0, jobId.indexOf('.'));

const recordingsKey = (roomId: string) => `stagecast:room:${roomId}:recordings`;
const startLockKey = (roomId: string) => `stagecast:room:${roomId}:broadcast-lock`;

type BroadcastContext = Pick<IngestContext, 'io' | 'redis' | 'store' | 'logger' | 'webhooks'>;

/** Tiles the composite's picture holds at most (a 3×3 grid). */
const MAX_VIDEO_SLOTS = 9;
/**
 * The composite's H.264 slots, beside the VP8 ones: browsers publish VP8 (the WHIP answer
 * prefers it when offered), so only encoders that send H.264 alone (OBS over WHIP) need them,
 * and a show has one or two of those. An idle slot still decodes a 160x90 filler 15 times a
 * second (bench/h264-slots-cpu.mjs measures it). Further H.264 publishers get the tile of a
 * camera that is off.
 */
const H264_VIDEO_SLOTS = 2;

/**
 * Going live: one `composite` job per broadcast, the broadcast's state in Redis (shared by
 * every ingest process), progress relayed to hosts and kept for the REST API, recordings
 * listed at the end.
 */
export class BroadcastService {
  private readonly jobCheckedAt = new Map<string, number>();
  private malformedProgressJob: string | null = null;

  private constructor(
    private readonly ctx: BroadcastContext,
    private readonly queue: Queue<CompositeJobData, CompositeJobResult>,
    private readonly events: QueueEvents,
    private readonly progress: ProgressStore,
    private readonly options: BroadcastOptions,
  ) {
    events.on('progress', ({ jobId, data }) => {
      this.onProgress(jobId, data).catch((error: unknown) =>
        ctx.logger.warn({ err: error, jobId }, 'handling progress failed'),
      );
    });
    events.on('failed', ({ jobId, failedReason }) => {
      this.onFailed(jobId, failedReason).catch((error: unknown) =>
        ctx.logger.warn({ err: error, jobId }, 'handling a failed job failed'),
      );
    });
    events.on('error', (error) => ctx.logger.warn({ err: error }, 'queue events error'));
    queue.on('error', (error) => ctx.logger.warn({ err: error }, 'composite queue error'));
  }

  static async create(
    ctx: BroadcastContext,
    progress: ProgressStore,
    options: BroadcastOptions,
  ): Promise<BroadcastService> {
    const url = options.redisUrl;
    const queue = new Queue<CompositeJobData, CompositeJobResult>(COMPOSITE_QUEUE, {
      connection: { url, ...requestOptions(options.redisTimeoutMs) },
    });
    const events = new QueueEvents(COMPOSITE_QUEUE, { connection: { url, ...notificationOptions() } });
    await events.waitUntilReady();
    return new BroadcastService(ctx, queue, events, progress, options);
  }

  private get redis(): Redis {
    return this.ctx.redis;
  }

  /** The room's broadcast record; an unreadable one reads as none (the room is idle). */
  async record(roomId: string): Promise<BroadcastRecord | null> {
    return this.parseRecord(roomId, await this.redis.get(broadcastKey(roomId)));
  }

  async live(roomId: string): Promise<LiveState> {
    const record = await this.record(roomId);
    if (!record) return { state: 'idle' };
    const { live } = record;
    if (!['starting', 'live', 'stopping'].includes(live.state) || !live.broadcastId) {
      this.jobCheckedAt.delete(roomId);
      return live;
    }
    // The job may have finished while no ingest process listened for its `ended` (all were down).
    // Joins call this in bursts while live: ask the queue at most once per room per interval.
    const now = Date.now();
    if (now - (this.jobCheckedAt.get(roomId) ?? 0) < JOB_CHECK_INTERVAL_MS) return live;
    this.jobCheckedAt.set(roomId, now);
    const job = await this.queue.getJob(jobIdOf(roomId, live.broadcastId));
    const state = job ? await job.getState() : 'unknown';
    if (!job || (state !== 'completed' && state !== 'failed')) return live;
    const recorded = state === 'completed' && job.returnvalue.recorded;
    await this.onEnded({
      type: 'ended',
      roomId,
      broadcastId: live.broadcastId,
      ok: state === 'completed',
      ...(recorded ? { recordingUrl: hlsPaths.vodMaster(roomId, live.broadcastId) } : {}),
      ...(state === 'failed' ? { error: job.failedReason || 'The compositor failed' } : {}),
    });
    return (await this.record(roomId))?.live ?? live;
  }

  /**
   * The live state with, while live, what the compositor last reported of the picture on air
   * (gone once its report is older than the progress store's TTL).
   */
  async liveOnAir(roomId: string): Promise<LiveState> {
    const live = await this.live(roomId);
    if (live.state !== 'live' || !live.broadcastId) return live;
    const progress = await this.progress.get(roomId, live.broadcastId);
    if (!progress) return live;
    return { ...live, layout: progress.layout, speed: progress.speed, quality: progress.quality };
  }

  /** Starts the broadcast; a second start while starting or live returns the current state. */
  async start(roomId: string): Promise<LiveState> {
    const room = await this.ctx.store.get(roomId);
    if (!room) throw new StagecastError('ROOM_NOT_FOUND', 'No room with that id');
    // Concurrent clicks (or processes): one of them gets the lock, the rest read the result.
    const locked = await this.redis.set(startLockKey(roomId), '1', 'PX', 5000, 'NX');
    if (!locked) {
      await new Promise((r) => setTimeout(r, 200));
      return this.live(roomId);
    }
    try {
      const current = await this.record(roomId);
      // Without its job (a start that failed half-way, e.g. when Redis went away between the
      // record and the job), the broadcast never starts: this start begins a new one.
      if (
        current?.wanted === 'live' &&
        ['starting', 'live'].includes(current.live.state) &&
        (await this.queue.getJob(jobIdOf(roomId, current.live.broadcastId ?? '')))
      )
        return current.live;
      if (current?.live.state === 'stopping') {
        throw new StagecastError(
          'CONFLICT',
          'The previous broadcast is still stopping; try again in a few seconds',
        );
      }
      const broadcastId = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
      const live: LiveState = {
        state: 'starting',
        broadcastId,
        hlsUrl: hlsPaths.master(roomId),
        startedAt: new Date().toISOString(),
      };
      await this.save(roomId, { wanted: 'live', live });
      const data: CompositeJobData = {
        roomId,
        roomName: room.name,
        broadcastId,
        startedAt: live.startedAt ?? new Date().toISOString(),
        record: this.options.record,
        ladder: [...DEFAULT_LADDER],
        segmentSeconds: this.options.segmentSeconds,
        liveWindow: liveWindowSegments(this.options),
        burnClock: this.options.burnClock,
        frameRate: this.options.frameRate,
        // +1 audio and video: a screen share (with its audio) besides everyone on stage; the
        // picture itself holds at most MAX_VIDEO_SLOTS tiles.
        slots: {
          video: Math.min(MAX_VIDEO_SLOTS, this.options.maxStage + 1),
          audio: this.options.maxStage + 1,
          h264: Math.min(H264_VIDEO_SLOTS, this.options.maxStage + 1),
        },
      };
      await this.queue.add('composite', data, {
        jobId: jobIdOf(roomId, broadcastId),
        removeOnComplete: 100,
        removeOnFail: 100,
        attempts: 1,
      });
      this.announce(roomId, live);
      return live;
    } finally {
      await this.redis.del(startLockKey(roomId));
    }
  }

  async stop(roomId: string): Promise<LiveState> {
    const current = await this.record(roomId);
    if (!current || current.wanted !== 'live') throw new StagecastError('NOT_LIVE', 'This room is not live');
    const live: LiveState = { ...current.live, state: 'stopping' };
    await this.save(roomId, { wanted: 'stopped', live });
    await this.redis.publish(compositorChannel(roomId), JSON.stringify({ type: 'stop', roomId }));
    this.announce(roomId, live);
    return live;
  }

  /**
   * Removes a deleted room's compositor jobs from the queue (waiting, finished or failed ones:
   * their keys name the room). A job still held by a transcoder is locked and stays until it
   * finishes; the stop published before this ends it.
   */
  async removeJobs(roomId: string): Promise<void> {
    const prefix = `${this.queue.opts.prefix ?? 'bull'}:${COMPOSITE_QUEUE}:`;
    const ids = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}${roomId}.*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) ids.add(key.slice(prefix.length).split(':')[0] ?? '');
    } while (cursor !== '0');
    for (const id of ids) {
      if (roomOfJob(id) !== roomId) continue;
      await this.queue
        .remove(id)
        .catch((error: unknown) =>
          this.ctx.logger.warn({ err: error, jobId: id }, 'a deleted room’s job could not be removed'),
        );
    }
  }

  async recordings(roomId: string): Promise<Recording[]> {
    await this.live(roomId); // lists a recording whose `ended` nobody heard
    const raw = await this.redis.lrange(recordingsKey(roomId), 0, -1);
    return raw
      .map((r) => readRecord(recordingSchema, r, this.ctx.logger, 'recording', { room: roomId }))
      .filter((r) => r !== null);
  }

  /** The compositor finished a broadcast (stopped, or failed for good). Every process hears it. */
  async onEnded(msg: Extract<CompositorMessage, { type: 'ended' }>): Promise<void> {
    const current = await this.record(msg.roomId);
    if (!current || current.live.broadcastId !== msg.broadcastId || current.live.state === 'ended') return;
    const live: LiveState = msg.ok
      ? { ...current.live, state: 'ended', ...(msg.recordingUrl ? { recordingUrl: msg.recordingUrl } : {}) }
      : { ...current.live, state: 'error', error: msg.error ?? 'The compositor failed' };
    // Only one process writes: the first to swap the record.
    const swapped = await this.compareAndSave(msg.roomId, current, { wanted: 'stopped', live });
    if (!swapped) return;
    this.ctx.webhooks.emit('broadcast.ended', {
      roomId: msg.roomId,
      broadcastId: msg.broadcastId,
      state: live.state === 'ended' ? 'ended' : 'error',
      ...(live.recordingUrl ? { recordingUrl: live.recordingUrl } : {}),
      ...(live.error ? { error: live.error } : {}),
    });
    if (msg.ok && msg.recordingUrl) {
      const recording: Recording = {
        broadcastId: msg.broadcastId,
        startedAt: current.live.startedAt ?? '',
        endedAt: new Date().toISOString(),
        url: msg.recordingUrl,
      };
      await this.redis.rpush(recordingsKey(msg.roomId), JSON.stringify(recording));
      this.ctx.webhooks.emit('recording.ready', {
        roomId: msg.roomId,
        broadcastId: msg.broadcastId,
        url: recording.url,
        startedAt: recording.startedAt,
        endedAt: recording.endedAt ?? recording.startedAt,
      });
    }
    this.announce(msg.roomId, live);
  }

  async close(): Promise<void> {
    await this.events.close();
    // Closing sends QUIT, which fails while Redis is away: then the connection just goes.
    await this.queue.close().catch(() => this.queue.disconnect());
  }

  private async onProgress(jobId: string, data: unknown): Promise<void> {
    const roomId = roomOfJob(jobId);
    const current = await this.record(roomId);
    const broadcastId = current?.live.broadcastId;
    if (!current || !broadcastId || jobId !== jobIdOf(roomId, broadcastId)) return;
    const full = broadcastProgressSchema.safeParse(data);
    // A compositor of another version may report less: its state still takes the broadcast live.
    const state = full.success ? full.data.state : progressStateSchema.safeParse(data).data?.state;
    if (full.success) {
      const progress: BroadcastProgress = full.data;
      await this.progress.save(roomId, broadcastId, progress);
      // Every ingest process hears QueueEvents: each tells only its own sockets.
      this.ctx.io.local.to(channels.managers(roomId)).emit('broadcast:progress', progress);
    } else if (this.malformedProgressJob !== jobId) {
      // Reports come every second: one warning per broadcast is enough.
      this.malformedProgressJob = jobId;
      this.ctx.logger.warn(
        { room: roomId, issue: full.error.issues[0]?.message },
        'ignored malformed compositor figures',
      );
    }
    if (state === 'live' && current.live.state === 'starting') {
      const live: LiveState = { ...current.live, state: 'live' };
      // The process that swaps the record tells everyone.
      if (await this.compareAndSave(roomId, current, { ...current, live })) {
        this.announce(roomId, live);
        this.ctx.webhooks.emit('broadcast.started', {
          roomId,
          broadcastId,
          hlsUrl: live.hlsUrl ?? hlsPaths.master(roomId),
          startedAt: live.startedAt ?? new Date().toISOString(),
        });
      }
    }
  }

  private async onFailed(jobId: string, reason: string): Promise<void> {
    const roomId = roomOfJob(jobId);
    const current = await this.record(roomId);
    if (
      !current ||
      jobId !== jobIdOf(roomId, current.live.broadcastId ?? '') ||
      current.live.state === 'ended'
    )
      return;
    const live: LiveState = { ...current.live, state: 'error', error: reason };
    if (await this.compareAndSave(roomId, current, { wanted: 'stopped', live })) {
      this.announce(roomId, live);
      this.ctx.webhooks.emit('broadcast.ended', {
        roomId,
        broadcastId: current.live.broadcastId ?? '',
        state: 'error',
        error: reason,
      });
    }
  }

  private announce(roomId: string, live: LiveState): void {
    this.ctx.io.to(channels.room(roomId)).emit('broadcast:state', live);
  }

  private async save(roomId: string, record: BroadcastRecord): Promise<void> {
    await this.redis.set(broadcastKey(roomId), JSON.stringify(record));
  }

  private parseRecord(roomId: string, raw: string | null): BroadcastRecord | null {
    return readRecord(broadcastRecordSchema, raw, this.ctx.logger, 'broadcast record', { room: roomId });
  }

  /**
   * Writes `next` only if the stored record is still `expected` (WATCH/MULTI). Both sides of
   * the comparison go through the schema, which orders the fields its own way.
   */
  private async compareAndSave(
    roomId: string,
    expected: BroadcastRecord,
    next: BroadcastRecord,
  ): Promise<boolean> {
    const key = broadcastKey(roomId);
    // Requests fail at once without a connection: this one is up before the first command.
    const conn = this.redis.duplicate({ lazyConnect: true });
    try {
      await conn.connect();
      await conn.watch(key);
      const stored = this.parseRecord(roomId, await conn.get(key));
      if (!stored || JSON.stringify(stored) !== JSON.stringify(expected)) return false;
      const result = await conn.multi().set(key, JSON.stringify(next)).exec();
      return result !== null;
    } finally {
      conn.disconnect();
    }
  }
}
