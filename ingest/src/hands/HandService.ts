import { can, StagecastError, type HandEntry, type PeerIdentity } from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import type { HandSettings } from '../core/config.js';
import { channels } from '../core/channels.js';
import { HandQueue } from './HandQueue.js';

/** Longest question that may come with a raised hand. */
export const MAX_QUESTION_LENGTH = 200;

/**
 * Raised hands of every room. After each change the managers get the whole queue and each
 * raiser whose place changed gets `hand:mine`, on every ingest process (Redis adapter).
 */
export class HandService {
  readonly queue: HandQueue;
  private readonly departures = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'redis' | 'presence' | 'logger' | 'webhooks'>,
    private readonly options: Pick<HandSettings, 'disconnectGraceMs'>,
    /** Called when a disconnected peer did not come back within the grace time. */
    private readonly onDeparted: (roomId: string, peerId: string) => Promise<void>,
  ) {
    this.queue = new HandQueue(ctx.redis, ctx.logger);
  }

  /** Raises one's hand; raising again keeps the place (and updates the question if one is given). */
  async raise(roomId: string, who: PeerIdentity, question: string | undefined): Promise<HandEntry> {
    if (!can(who.role, 'raiseHand')) throw new StagecastError('FORBIDDEN', 'Only viewers raise their hand');
    const added = await this.queue.raise(roomId, who.peerId, who.name, question);
    const queue = await this.queue.list(roomId);
    const mine = queue.find((e) => e.peerId === who.peerId);
    // Lowered by someone else between the two steps (dismissed, lowerAll).
    if (!mine) throw new StagecastError('CONFLICT', 'Your hand was lowered meanwhile; raise it again');
    // Raising again (a new question) keeps the place and is no new raise.
    if (added)
      this.ctx.webhooks.emit('hand.raised', {
        roomId,
        peerId: mine.peerId,
        name: mine.name,
        ...(mine.question === undefined ? {} : { question: mine.question }),
        position: mine.position,
      });
    this.publish(roomId, queue, new Set([who.peerId]), []);
    return mine;
  }

  /** Lowers one's own hand (no permission needed; lowering a hand that is down is fine). */
  async lower(roomId: string, who: PeerIdentity): Promise<void> {
    await this.remove(roomId, who.peerId);
  }

  async dismiss(roomId: string, by: PeerIdentity, peerId: string): Promise<void> {
    requireManager(by);
    if (!(await this.remove(roomId, peerId)))
      throw new StagecastError('NOT_FOUND', 'That hand is not raised');
  }

  async lowerAll(roomId: string, by: PeerIdentity): Promise<void> {
    requireManager(by);
    const lowered = await this.queue.lowerAll(roomId);
    if (lowered.length > 0) this.publish(roomId, [], new Set(), lowered);
  }

  /** Removes a hand and tells everyone whose place moved. Returns false if it was not up. */
  async remove(roomId: string, peerId: string): Promise<boolean> {
    const position = await this.queue.lower(roomId, peerId);
    if (position === null) return false;
    const queue = await this.queue.list(roomId);
    const moved = new Set(queue.filter((e) => e.position >= position).map((e) => e.peerId));
    this.publish(roomId, queue, moved, [peerId]);
    return true;
  }

  /** The queue for managers; others only see their own entry. */
  async snapshot(roomId: string, who: PeerIdentity): Promise<{ queue: HandEntry[]; mine: HandEntry | null }> {
    const queue = await this.queue.list(roomId);
    const mine = queue.find((e) => e.peerId === who.peerId) ?? null;
    return { queue: can(who.role, 'manageStage') ? queue : [], mine };
  }

  /**
   * A connection closed: after the grace time, if the peer is connected nowhere (presence is
   * shared by all processes), its hand goes and `onDeparted` runs.
   */
  scheduleDepartureCheck(roomId: string, peerId: string): void {
    if (this.closed) return;
    const key = `${roomId}\n${peerId}`;
    clearTimeout(this.departures.get(key));
    const timer = setTimeout(() => {
      this.departures.delete(key);
      void this.checkDeparture(roomId, peerId).catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, room: roomId, peer: peerId }, 'departure check failed'),
      );
    }, this.options.disconnectGraceMs);
    timer.unref();
    this.departures.set(key, timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.departures.values()) clearTimeout(timer);
    this.departures.clear();
  }

  private async checkDeparture(roomId: string, peerId: string): Promise<void> {
    if (this.closed || (await this.ctx.presence.get(roomId, peerId))) return;
    await this.remove(roomId, peerId);
    await this.onDeparted(roomId, peerId);
  }

  private publish(roomId: string, queue: HandEntry[], notify: Set<string>, lowered: string[]): void {
    const { io } = this.ctx;
    io.to(channels.managers(roomId)).emit('hands:queue', queue);
    for (const entry of queue)
      if (notify.has(entry.peerId)) io.to(channels.peer(roomId, entry.peerId)).emit('hand:mine', entry);
    for (const peerId of lowered) io.to(channels.peer(roomId, peerId)).emit('hand:mine', null);
  }
}

function requireManager(who: PeerIdentity): void {
  if (!can(who.role, 'manageStage'))
    throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts manage the stage');
}
