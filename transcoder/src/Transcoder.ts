import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { COMPOSITE_QUEUE, type CompositeJobData, type CompositeJobResult } from '@stagecast/protocol';
import type { CompositeJob } from './job/CompositeJob.js';
import { configFromEnv, type TranscoderConfig } from './core/config.js';
import { prepareFfmpeg } from './ffmpeg/ffmpegAdapter.js';
import { createLogger } from './core/logger.js';
import { OrphanRegistry } from './job/OrphanRegistry.js';
import { PortPool } from './core/PortPool.js';
import { createProcessor } from './job/processor.js';

export interface TranscoderOptions extends Partial<TranscoderConfig> {
  logger?: Logger;
}

/**
 * Worker settings for a fast takeover: the lock is renewed every second, so a SIGKILLed
 * worker's lock expires 1–2 s after its death, and the stalled check (every second) hands
 * the job to another worker 1–3 s after it; the new FFmpeg then has ~6 s for its first
 * segment within the 10 s promise. A process that merely stalled loses its lock too and
 * stops writing (`lockRenewalFailed`). A live broadcast may be taken over many times, so
 * the stalled count must not fail it.
 */
export const WORKER_TIMINGS = { lockDuration: 2000, stalledInterval: 1000, maxStalledCount: 1000 };

/** A running transcoder: a BullMQ worker on the `composite` queue. */
export class Transcoder {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly config: TranscoderConfig,
    private readonly worker: Worker<CompositeJobData, CompositeJobResult>,
    private readonly redis: Redis,
    private readonly active: Set<CompositeJob>,
    private readonly logger: Logger,
  ) {}

  static async start(options: TranscoderOptions = {}): Promise<Transcoder> {
    const { logger: given, ...overrides } = options;
    const config: TranscoderConfig = { ...configFromEnv(), ...overrides };
    const logger = given ?? createLogger(config.logLevel);
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
    const active = new Set<CompositeJob>();
    const processor = createProcessor({
      config,
      redis,
      ports: new PortPool(),
      orphans: new OrphanRegistry(redis, logger),
      logger,
      active,
    });
    const worker = new Worker<CompositeJobData, CompositeJobResult>(COMPOSITE_QUEUE, processor, {
      connection: { url: config.redisUrl, maxRetriesPerRequest: null },
      concurrency: config.concurrency,
      ...WORKER_TIMINGS,
    });
    worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
    worker.on('failed', (job, error) => logger.warn({ job: job?.id, err: error }, 'composite job failed'));
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const job of active) {
        if (!jobIds.includes(job.jobId)) continue;
        logger.error({ job: job.jobId }, 'lost the lock of a running broadcast; stopping it here');
        job.abandon();
      }
    });
    await worker.waitUntilReady();
    await prepareFfmpeg(config.ffmpegPath);
    logger.info({ concurrency: config.concurrency, dataDir: config.dataDir }, 'transcoder ready');
    return new Transcoder(config, worker, redis, active, logger);
  }

  /** Hands running broadcasts back to the queue (flushed, no ENDLIST) and closes the worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const job of this.active) job.handOver();
      await this.worker.close();
      this.redis.disconnect();
      this.logger.info('transcoder closed');
    })();
    return this.closing;
  }
}

/** Starts a transcoder in this process (tests run it in-process; `main.ts` in production). */
export async function startTranscoder(options: TranscoderOptions = {}): Promise<{ close(): Promise<void> }> {
  const transcoder = await Transcoder.start(options);
  return { close: () => transcoder.close() };
}
