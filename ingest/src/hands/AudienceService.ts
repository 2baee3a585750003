import { can, StagecastError, type AudienceMember, type PeerIdentity } from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import type { HandQueue } from './HandQueue.js';

/** At most one `audience:count` per room per this interval, from each ingest process. */
export const AUDIENCE_COUNT_INTERVAL_MS = 1000;

/**
 * The audience of a room: the viewer count pushed to everyone (throttled, trailing edge, so
 * a crowd joining at once costs one message a second and the last one is always right) and
 * the viewer list for those who may see it.
 */
export class AudienceService {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly lastSent = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'presence' | 'logger'>,
    private readonly hands: HandQueue,
  ) {}

  /** Someone joined, left or changed role: schedule a count update. */
  changed(roomId: string): void {
    if (this.closed || this.pending.has(roomId)) return;
    const delay = Math.max(0, (this.lastSent.get(roomId) ?? 0) + AUDIENCE_COUNT_INTERVAL_MS - Date.now());
    const timer = setTimeout(() => {
      this.pending.delete(roomId);
      this.lastSent.set(roomId, Date.now());
      void this.sendCount(roomId);
    }, delay);
    timer.unref();
    this.pending.set(roomId, timer);
    this.forgetIdleRooms();
  }

  async list(roomId: string, by: PeerIdentity): Promise<AudienceMember[]> {
    if (!can(by.role, 'seeAudience'))
      throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts see the audience');
    const [present, raised] = await Promise.all([
      this.ctx.presence.list(roomId),
      this.hands.raisedPeerIds(roomId),
    ]);
    return present
      .filter((p) => p.role === 'viewer')
      .map((p) => ({ peerId: p.peerId, name: p.name, handRaised: raised.has(p.peerId) }));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private async sendCount(roomId: string): Promise<void> {
    try {
      const viewers = await this.ctx.presence.countViewers(roomId);
      if (!this.closed) this.ctx.io.to(channels.room(roomId)).emit('audience:count', { viewers });
    } catch (error) {
      this.ctx.logger.warn({ err: error, room: roomId }, 'audience count failed');
    }
  }

  /** The last-sent times only matter for a second; drop old ones so idle rooms cost nothing. */
  private forgetIdleRooms(): void {
    if (this.lastSent.size < 1000) return;
    const cutoff = Date.now() - AUDIENCE_COUNT_INTERVAL_MS;
    for (const [roomId, at] of this.lastSent) if (at < cutoff) this.lastSent.delete(roomId);
  }
}
