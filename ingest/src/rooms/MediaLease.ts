import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { LuaScript } from '../core/LuaScript.js';
import { TypedEmitter } from '../core/TypedEmitter.js';
import { StagecastError } from '@stagecast/protocol';

/** Who owns a room's media, as one process sees it after asking Redis. */
export type LeaseAnswer =
  /** This process owns it; `epoch` identifies this ownership to the compositor. */
  | { owned: true; epoch: number }
  /** Another process owns it; stage clients connect to `ownerUrl`. */
  | { owned: false; ownerUrl: string };

export interface MediaLeaseOptions {
  /**
   * How long a lease lives without renewal (`STAGECAST_MEDIA_LEASE_MS`): how long a room's
   * stage waits for a dead owner before another process may take it.
   */
  ttlMs: number;
  /** Base URL clients reach this process at, stored with the lease (see `STAGECAST_INSTANCE_URL`). */
  url: () => string;
}

interface MediaLeaseEvents extends Record<string, unknown[]> {
  /** Another process holds the room's media now (this one could not renew in time). */
  lost: [roomId: string];
}

const ownerKey = (roomId: string) => `stagecast:room:${roomId}:media-owner`;
const epochKey = (roomId: string) => `stagecast:room:${roomId}:media-epoch`;

const leaseSchema = z.object({ token: z.string(), epoch: z.number(), url: z.string() });
const answerSchema = z.tuple([z.number(), z.string()]);

// Taking a free lease bumps the room's epoch in the same step, so two owners never share one.
// Asking again while holding it renews it. Answers [1, epoch] or [0, the owner's lease JSON].
const ACQUIRE = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current then
  local lease = cjson.decode(current)
  if lease.token ~= ARGV[1] then return {0, current} end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tostring(lease.epoch)}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], cjson.encode({token = ARGV[1], epoch = epoch, url = ARGV[3]}), 'PX', ARGV[2])
return {1, tostring(epoch)}
`);

// Renews or drops the lease only while it is still ours (it may have expired and moved on).
const RENEW = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).token ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);
const RELEASE = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).token ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

/**
 * Per-room leases in Redis deciding which ingest process owns a room's media: its stage router,
 * its producers and the compositor's feeds. One process owns a room at a time; the others
 * hold viewers and chat and send stage clients to the owner. The owner renews its leases every
 * third of the TTL, so a slow renewal under load is retried twice before the lease can lapse.
 */
export class MediaLease extends TypedEmitter<MediaLeaseEvents> {
  /** This process's identity in every lease it holds. */
  private readonly token = randomUUID();
  /** Epochs of the leases held, by room. */
  private readonly held = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly options: MediaLeaseOptions,
    private readonly logger: Logger,
  ) {
    super(logger);
    this.timer = setInterval(() => void this.renewAll(), Math.max(100, Math.floor(options.ttlMs / 3)));
    this.timer.unref();
  }

  /** The epoch of the room's lease if this process holds it (as of its last renewal). */
  epochOf(roomId: string): number | undefined {
    return this.held.get(roomId);
  }

  /** Takes the room's lease if it is free (or renews ours), else says who owns it. */
  async acquire(roomId: string): Promise<LeaseAnswer> {
    const raw = await ACQUIRE.run(
      this.redis,
      [ownerKey(roomId), epochKey(roomId)],
      [this.token, this.options.ttlMs, this.options.url()],
    );
    const [owned, value] = answerSchema.parse(raw);
    if (owned === 1) {
      const epoch = Number(value);
      this.held.set(roomId, epoch);
      return { owned: true, epoch };
    }
    this.held.delete(roomId);
    return { owned: false, ownerUrl: leaseSchema.parse(JSON.parse(value)).url };
  }

  /** Gives the room's media up at once (the room closed here), so the next stage join anywhere takes it. */
  async release(roomId: string): Promise<void> {
    if (!this.held.delete(roomId)) return;
    await RELEASE.run(this.redis, [ownerKey(roomId)], [this.token]);
  }

  /** Stops renewing and releases every lease held. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(
      [...this.held.keys()].map((roomId) =>
        this.release(roomId).catch((error: unknown) =>
          this.logger.warn({ err: error, room: roomId }, 'media lease release failed'),
        ),
      ),
    );
  }

  private async renewAll(): Promise<void> {
    for (const [roomId, epoch] of [...this.held]) {
      try {
        const renewed = await RENEW.run(this.redis, [ownerKey(roomId)], [this.token, this.options.ttlMs]);
        // Released or re-taken meanwhile: this answer is about a lease we no longer track.
        if (this.held.get(roomId) !== epoch) continue;
        if (renewed === 1) continue;
        this.held.delete(roomId);
        this.logger.warn({ room: roomId, epoch }, 'lost the room media lease');
        this.safeEmit('lost', roomId);
      } catch (error) {
        // Redis unreachable: keep the lease as far as we know; the next beat tries again.
        this.logger.warn({ err: error, room: roomId }, 'media lease renewal failed');
      }
    }
  }
}

/** Takes (or renews) the room's media lease, or refuses with MEDIA_ELSEWHERE naming the owner. */
export async function requireMediaOwner(lease: MediaLease, roomId: string): Promise<void> {
  const answer = await lease.acquire(roomId);
  if (!answer.owned)
    throw new StagecastError(
      'MEDIA_ELSEWHERE',
      "This room's stage is on another server; connect there",
      undefined,
      answer.ownerUrl,
    );
}
