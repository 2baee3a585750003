import { readFile, readlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';

const key = (roomId: string) => `stagecast:transcoder:room:${roomId}:ffmpeg`;

const entrySchema = z.object({ host: z.string(), pid: z.number().int(), dir: z.string() });
type Entry = z.infer<typeof entrySchema>;

/**
 * Remembers in Redis which FFmpeg processes run for a room (host, pid), so that a process
 * taking over the job after a SIGKILL can end the orphans its predecessor left on this host.
 */
export class OrphanRegistry {
  private readonly host = hostname();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async remember(roomId: string, sessionId: string, pid: number, dir: string): Promise<void> {
    const entry: Entry = { host: this.host, pid, dir };
    await this.redis
      .multi()
      .hset(key(roomId), sessionId, JSON.stringify(entry))
      .expire(key(roomId), 86_400)
      .exec();
  }

  async forget(roomId: string, sessionId: string): Promise<void> {
    await this.redis.hdel(key(roomId), sessionId);
  }

  /** Kills the room's recorded FFmpeg processes still alive on this host; clears the record. */
  async killOrphans(roomId: string): Promise<number> {
    const entries = await this.redis.hgetall(key(roomId));
    let killed = 0;
    for (const raw of Object.values(entries)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        continue;
      }
      const valid = entrySchema.safeParse(parsed);
      if (!valid.success) continue;
      const entry = valid.data;
      if (entry.host !== this.host || entry.pid <= 1) continue;
      // The pid may have been reused: only an ffmpeg working in that session's directory dies.
      const comm = await readFile(`/proc/${entry.pid}/comm`, 'utf8').catch(() => '');
      const cwd = await readlink(`/proc/${entry.pid}/cwd`).catch(() => '');
      if (comm.trim() !== 'ffmpeg' || cwd !== entry.dir) continue;
      try {
        process.kill(entry.pid, 'SIGKILL');
        killed++;
        this.logger.warn({ pid: entry.pid }, 'killed an orphan FFmpeg left by a previous process');
      } catch {
        // Already gone.
      }
    }
    await this.redis.del(key(roomId));
    return killed;
  }
}
