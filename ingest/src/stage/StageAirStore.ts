import type { Redis } from 'ioredis';
import { STAGE_MUTE_SOURCES, type StageMuteSource } from '@stagecast/protocol';

/** Hash peer id → `1` on air, `0` backstage; a field exists while the peer has a stage role. */
const airKey = (roomId: string) => `stagecast:room:${roomId}:air`;
/** Set of `<peerId>:<source>` a host hard-muted. */
const hardMuteKey = (roomId: string) => `stagecast:room:${roomId}:hardmute`;

const member = (peerId: string, source: StageMuteSource) => `${peerId}:${source}`;

/** What a stage member's state is, as every process reads it back. */
export interface StageMemberState {
  onAir: boolean;
  hardMuted: StageMuteSource[];
}

/**
 * Who on a room's stage is on air, and what hosts hard-muted, in Redis: another process, or this
 * one after a restart, reads the same state back when the person reconnects. Both are dropped
 * when the person leaves the stage by any path (moved to the audience while connected or not,
 * stepped down, lost their seat, banned), not when they disconnect: a reload or a lost
 * connection must not put someone back on air or lift a hard mute.
 */
export class StageAirStore {
  constructor(private readonly redis: Redis) {}

  /**
   * The member's state as they (re)arrive on stage: a member seen before keeps theirs; a new one
   * gets `onAirOnEntry` (HSETNX: two processes racing agree on one answer).
   */
  async arrive(roomId: string, peerId: string, onAirOnEntry: boolean): Promise<StageMemberState> {
    const results = await this.redis
      .multi()
      .hsetnx(airKey(roomId), peerId, onAirOnEntry ? '1' : '0')
      .hget(airKey(roomId), peerId)
      .exec();
    const onAir = results?.[1]?.[1] === '1';
    return { onAir, hardMuted: await this.hardMuted(roomId, peerId) };
  }

  async state(roomId: string, peerId: string): Promise<StageMemberState> {
    const [air, hardMuted] = await Promise.all([
      this.redis.hget(airKey(roomId), peerId),
      this.hardMuted(roomId, peerId),
    ]);
    return { onAir: air === '1', hardMuted };
  }

  async setOnAir(roomId: string, peerId: string, onAir: boolean): Promise<void> {
    await this.redis.hset(airKey(roomId), peerId, onAir ? '1' : '0');
  }

  /** Peer ids on air in the room. */
  async onAir(roomId: string): Promise<string[]> {
    const all = await this.redis.hgetall(airKey(roomId));
    return Object.entries(all)
      .filter(([, value]) => value === '1')
      .map(([peerId]) => peerId);
  }

  async setHardMuted(roomId: string, peerId: string, source: StageMuteSource, on: boolean): Promise<void> {
    if (on) await this.redis.sadd(hardMuteKey(roomId), member(peerId, source));
    else await this.redis.srem(hardMuteKey(roomId), member(peerId, source));
  }

  /** The member left the stage: the next time they step on, they arrive as a newcomer. */
  async forget(roomId: string, peerId: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(airKey(roomId), peerId)
      .srem(hardMuteKey(roomId), ...STAGE_MUTE_SOURCES.map((source) => member(peerId, source)))
      .exec();
  }

  private async hardMuted(roomId: string, peerId: string): Promise<StageMuteSource[]> {
    const flags = await this.redis.smismember(
      hardMuteKey(roomId),
      ...STAGE_MUTE_SOURCES.map((source) => member(peerId, source)),
    );
    return STAGE_MUTE_SOURCES.filter((_, i) => flags[i] === 1);
  }
}
