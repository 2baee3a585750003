import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WriteFence } from '../hls/PlaylistWriter.js';

/**
 * Fences a job's writes with its BullMQ lock: the lock key holds the token of the worker that
 * owns the job, and a stalled worker whose lock expired finds another token there (or none)
 * once a successor took the job over. BullMQ only notices a lost lock at its next renewal,
 * which a process waking from a stall may not reach before its next write; reading the key
 * right before each write closes that gap to one Redis round trip.
 */
export class JobLockFence implements WriteFence {
  private readonly lockKey: string;

  constructor(
    private readonly redis: Redis,
    job: Pick<Job, 'queueQualifiedName' | 'id'>,
    private readonly token: string,
  ) {
    this.lockKey = `${job.queueQualifiedName}:${job.id ?? ''}:lock`;
  }

  async holds(): Promise<boolean> {
    return (await this.redis.get(this.lockKey)) === this.token;
  }
}
