import { can, StagecastError, type PeerIdentity, type Reaction } from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { ReactionAggregator } from './ReactionAggregator.js';

/** Emoji reactions: limited per person (in Redis, across processes), aggregated per room. */
export class ReactionService {
  private readonly aggregator: ReactionAggregator;

  constructor(private readonly ctx: Pick<IngestContext, 'io' | 'limits'>) {
    this.aggregator = new ReactionAggregator((roomId, burst) =>
      ctx.io.to(channels.room(roomId)).emit('reactions:burst', burst),
    );
  }

  /** Counts one reaction; over the person's rate it is dropped with RATE_LIMITED. */
  async send(roomId: string, who: PeerIdentity, emoji: Reaction): Promise<void> {
    if (!can(who.role, 'react')) throw new StagecastError('FORBIDDEN', 'You cannot react in this room');
    await this.ctx.limits.consume('reaction', `${roomId}:${who.peerId}`);
    this.aggregator.add(roomId, emoji);
  }

  close(): void {
    this.aggregator.close();
  }
}
