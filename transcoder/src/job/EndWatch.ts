import type { Redis } from 'ioredis';
import { broadcastKey, type CompositeJobData, type StageSnapshot } from '@stagecast/protocol';
import { broadcastRecordSchema } from '@stagecast/protocol/schemas';

/** How often the broadcast record is read (a stop may have been missed during a takeover). */
const RECORD_CHECK_MS = 2000;

/**
 * Why a running broadcast should end although no `stop` message reached it: the broadcast
 * record says stopped (or names a newer broadcast), or nobody has been on stage for too long.
 */
export class EndWatch {
  /** Last time someone was on stage in a snapshot of a process holding the room. */
  private occupiedAt = Date.now();
  private lastRecordCheck = 0;

  constructor(
    private readonly redis: Redis,
    private readonly data: CompositeJobData,
    private readonly emptyStageTimeoutMs: number,
  ) {}

  /** Every stage snapshot, stale ones included: the version-0 answer means nobody holds the room. */
  sawStage(stage: StageSnapshot): void {
    if (stage.version > 0 && stage.tiles.length > 0) this.occupiedAt = Date.now();
  }

  /**
   * The reason to end now, if any. An empty stage counts from the broadcast's first segment
   * on: a busy machine can take longer than the timeout to start, and a broadcast ended before
   * anyone saw it is no broadcast.
   */
  async check(now: number, onAir: boolean): Promise<'empty stage' | 'stopped' | null> {
    if (!onAir) this.occupiedAt = now;
    else if (now - this.occupiedAt > this.emptyStageTimeoutMs) return 'empty stage';
    if (now - this.lastRecordCheck < RECORD_CHECK_MS) return null;
    this.lastRecordCheck = now;
    return (await this.stopWanted()) ? 'stopped' : null;
  }

  /** The broadcast record says stopped, or belongs to a newer broadcast. */
  async stopWanted(): Promise<boolean> {
    const raw = await this.redis.get(broadcastKey(this.data.roomId));
    if (!raw) return false;
    // Written by ingest: checked with its own schema, never trusted by type alone.
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return false;
    }
    const record = broadcastRecordSchema.safeParse(parsed);
    if (!record.success) return false;
    const { live, wanted } = record.data;
    const other = live.broadcastId !== undefined && live.broadcastId !== this.data.broadcastId;
    return wanted === 'stopped' || other;
  }
}
