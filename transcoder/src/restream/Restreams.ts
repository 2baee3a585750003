import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  hlsLayout,
  restreamsKey,
  type CompositeJobData,
  restreamStatusKey,
  type CompositorMessage,
  type RestreamStatus,
  type StoredRestream,
} from '@stagecast/protocol';
import { storedRestreamSchema } from '@stagecast/protocol/schemas';
import type { TranscoderConfig } from '../core/config.js';
import { RestreamOutput, type RestreamTimings } from './RestreamOutput.js';

/** A status outlives a transcoder that died by this long (a successor reports again). */
export const RESTREAM_STATUS_TTL_MS = 60_000;
/** The destinations are read again this often, should a change notice be missed. */
const REFRESH_MS = 5000;

export interface RestreamsOptions {
  roomId: string;
  broadcastId: string;
  redis: Redis;
  /** The top rung's public folder (`<dataDir>/hls/<roomId>/<rendition>`), where its parts are published. */
  topDir: string;
  /** FFmpeg's log per destination goes here (stream keys masked). */
  logDir: string;
  timings: RestreamTimings;
  ffmpegPath?: string;
  /** Publishes to ingest (the `restream` status message). */
  send: (msg: CompositorMessage) => Promise<void>;
  logger: Logger;
}

/** A part of the top rung as the playlist writer published it. */
export interface PublishedPart {
  map: string;
  file: string;
  independent: boolean;
}

/**
 * The restream destinations of one live broadcast. Reads them from Redis (at start, on each
 * change notice from ingest, and every few seconds), keeps one {@link RestreamOutput} per
 * destination, hands each the top rung's parts as they are published, and reports their
 * status to Redis and ingest. With no destination it reads no file and starts no process.
 */
export class Restreams {
  private readonly outputs = new Map<string, RestreamOutput>();
  private init: { map: string; data: Buffer } | undefined;
  private delivering: Promise<void> = Promise.resolve();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;
  private closed = false;

  constructor(private readonly options: RestreamsOptions) {}

  /** The restreams of one compositing job, reading the room's destinations at once. */
  static forJob(
    job: CompositeJobData,
    config: TranscoderConfig,
    redis: Redis,
    workDir: string,
    link: { send: (msg: CompositorMessage) => Promise<void> },
    logger: Logger,
  ): Restreams {
    const restreams = new Restreams({
      roomId: job.roomId,
      broadcastId: job.broadcastId,
      redis,
      topDir: join(config.dataDir, hlsLayout.liveDir(job.roomId), job.ladder[0]?.name ?? ''),
      logDir: join(workDir, 'logs'),
      timings: config.restream,
      ...(config.ffmpegPath ? { ffmpegPath: config.ffmpegPath } : {}),
      send: (msg) => link.send(msg),
      logger,
    });
    void restreams
      .refresh()
      .catch((error: unknown) => logger.warn({ err: error }, 'restream destinations could not be read'));
    return restreams;
  }

  /** Brings the outputs in line with the room's destinations. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Called by the playlist writer for every part of the top rung it publishes, in order. */
  onPart(part: PublishedPart): void {
    if (this.closed || this.outputs.size === 0) return;
    this.delivering = this.delivering
      .then(() => this.deliver(part))
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'a part could not be restreamed'));
  }

  /** Once a second from the job's tick. */
  tick(now: number): void {
    if (this.closed) return;
    for (const output of this.outputs.values()) output.tick(now);
    if (now - this.lastRefresh >= REFRESH_MS) {
      this.lastRefresh = now;
      void this.refresh().catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'restream destinations could not be read'),
      );
    }
  }

  /** The broadcast ended (or moves to another process): every upload ends; statuses go. */
  async close(removeStatus: boolean): Promise<void> {
    this.closed = true;
    await Promise.all([...this.outputs.values()].map((o) => o.close()));
    this.outputs.clear();
    if (removeStatus) await this.options.redis.del(restreamStatusKey(this.options.roomId)).catch(() => 0);
  }

  private async refreshOnce(): Promise<void> {
    const { redis, roomId, logger } = this.options;
    const raw = await redis.hgetall(restreamsKey(roomId));
    if (this.closed) return;
    const wanted = new Map<string, StoredRestream>();
    for (const [id, value] of Object.entries(raw)) {
      const parsed = storedRestreamSchema.safeParse(parseJson(value));
      if (parsed.success && parsed.data.id === id) wanted.set(id, parsed.data);
      else logger.warn({ restream: id }, 'ignored a malformed restream destination in Redis');
    }
    for (const [id, output] of this.outputs) {
      if (wanted.has(id)) continue;
      this.outputs.delete(id);
      logger.info({ restream: id }, 'restream destination removed; its upload stops');
      void output.close();
    }
    for (const restream of wanted.values()) {
      if (this.outputs.has(restream.id)) continue;
      logger.info({ restream: restream.id }, 'restream destination added');
      this.outputs.set(restream.id, this.outputFor(restream));
    }
    // Statuses of a transcoder that died expire; this one keeps them.
    if (this.outputs.size > 0) await redis.pexpire(restreamStatusKey(roomId), RESTREAM_STATUS_TTL_MS);
  }

  private outputFor(restream: StoredRestream): RestreamOutput {
    const { logDir, timings, ffmpegPath, logger } = this.options;
    return new RestreamOutput({
      restream,
      timings,
      cwd: logDir,
      logFile: join(logDir, `restream-${restream.id}.log`),
      ...(ffmpegPath ? { ffmpegPath } : {}),
      logger,
      onStatus: (state, reason) => {
        const status: RestreamStatus = {
          id: restream.id,
          broadcastId: this.options.broadcastId,
          state,
          since: Date.now(),
          ...(reason !== undefined ? { reason } : {}),
        };
        void this.report(status).catch((error: unknown) =>
          logger.warn({ err: error, restream: restream.id }, 'restream status could not be reported'),
        );
      },
    });
  }

  private async report(status: RestreamStatus): Promise<void> {
    const { redis, roomId } = this.options;
    // Removed meanwhile: its status must not come back.
    if (this.closed || !this.outputs.has(status.id)) return;
    await redis
      .multi()
      .hset(restreamStatusKey(roomId), status.id, JSON.stringify(status))
      .pexpire(restreamStatusKey(roomId), RESTREAM_STATUS_TTL_MS)
      .exec();
    await this.options.send({ type: 'restream', roomId, status });
  }

  private async deliver(part: PublishedPart): Promise<void> {
    if (this.closed || this.outputs.size === 0) return;
    const { topDir } = this.options;
    if (this.init?.map !== part.map)
      this.init = { map: part.map, data: await readFile(join(topDir, part.map)) };
    const data = await readFile(join(topDir, part.file));
    const now = Date.now();
    for (const output of this.outputs.values())
      output.push({ map: part.map, init: this.init.data, data, independent: part.independent }, now);
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
