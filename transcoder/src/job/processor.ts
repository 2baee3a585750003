import { UnrecoverableError, WaitingError, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CompositeJobData, CompositeJobResult } from '@stagecast/protocol';
import { CompositeJob } from './CompositeJob.js';
import { JobLockFence } from './JobLockFence.js';
import type { TranscoderConfig } from '../core/config.js';
import type { OrphanRegistry } from './OrphanRegistry.js';
import type { PortPool } from '../core/PortPool.js';
import { compositeJobSchema } from '../core/schemas.js';

export interface ProcessorDeps {
  config: TranscoderConfig;
  redis: Redis;
  ports: PortPool;
  orphans: OrphanRegistry;
  logger: Logger;
  /** The running broadcasts, so shutdown can hand them over. */
  active: Set<CompositeJob>;
}

/** Validates the job data; bad data can never succeed, so it must not be retried. */
export function parseJobData(data: unknown): CompositeJobData {
  const parsed = compositeJobSchema.safeParse(data);
  if (!parsed.success) throw new UnrecoverableError(`bad composite job data: ${parsed.error.message}`);
  return parsed.data;
}

/** The quality step of a previous process's last report, if any (progress is untyped in Redis). */
function qualityOf(progress: unknown): { qualityLevel?: number } {
  const level = (progress as { quality?: { level?: unknown } } | null)?.quality?.level;
  return typeof level === 'number' && Number.isInteger(level) ? { qualityLevel: level } : {};
}

/** The BullMQ processor of the `composite` queue: one broadcast per job, for as long as it lasts. */
export function createProcessor(deps: ProcessorDeps): Processor<CompositeJobData, CompositeJobResult> {
  return async (
    job: Job<CompositeJobData, CompositeJobResult>,
    token?: string,
  ): Promise<CompositeJobResult> => {
    const data = parseJobData(job.data);
    const composite = new CompositeJob({
      data,
      jobId: job.id ?? `${data.roomId}.${data.broadcastId}`,
      redis: deps.redis,
      config: deps.config,
      ports: deps.ports,
      orphans: deps.orphans,
      logger: deps.logger,
      reportProgress: (progress) => job.updateProgress(progress),
      ...qualityOf(job.progress),
      // Without a token (never the case for a worker's job) there is no lock to fence with.
      ...(token ? { fence: new JobLockFence(deps.redis, job, token) } : {}),
    });
    deps.active.add(composite);
    try {
      const outcome = await composite.run();
      if (outcome.kind === 'ended') return outcome.result;
      // Another transcoder holds the job now; BullMQ refuses any move without the lock.
      if (outcome.kind === 'abandoned')
        throw new Error('the job lock was lost; another transcoder continues the broadcast');
      // Shutdown: back to the queue, where another transcoder continues the same playlists.
      await job.moveToWait(token);
      throw new WaitingError();
    } finally {
      deps.active.delete(composite);
    }
  };
}
