import { randomUUID } from 'node:crypto';
import {
  can,
  compositorChannel,
  StagecastError,
  type Cue,
  type CueInput,
  type IngestMessage,
  type LiveState,
  type PeerIdentity,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { CueStore } from './CueStore.js';

/** Where the service reads whether (and which) broadcast is on air. */
export type LiveSource = (roomId: string) => Promise<LiveState>;

/**
 * Cues of every room: a host marks a moment of the live broadcast (a poll opens, a slide
 * changes). The cue is stamped with the server's wall clock, kept in Redis, written by the
 * compositor into the playlists as EXT-X-DATERANGE (live and recording), and sent to everyone
 * in the room, whose SDK fires it when their picture reaches the stamp.
 */
export class CueService {
  readonly store: CueStore;

  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'redis' | 'logger' | 'limits'>,
    private readonly live: LiveSource,
  ) {
    this.store = new CueStore(ctx.redis, ctx.logger);
  }

  /** `by` is null for the REST API (authorised by the API secret). */
  async send(roomId: string, by: PeerIdentity | null, input: CueInput): Promise<Cue> {
    if (by && !can(by.role, 'broadcast'))
      throw new StagecastError('FORBIDDEN', 'Only the host can send cues');
    const live = await this.live(roomId);
    // A cue belongs to a picture: with nothing on air there is no timeline to put it in.
    if ((live.state !== 'live' && live.state !== 'starting') || !live.broadcastId)
      throw new StagecastError('NOT_LIVE', 'Cues can only be sent while the broadcast is live');
    await this.ctx.limits.consume('cue', roomId);
    const cue: Cue = {
      id: randomUUID(),
      name: input.name,
      payload: input.payload ?? null,
      at: Date.now(),
      broadcastId: live.broadcastId,
      by: by ? { peerId: by.peerId, name: by.name } : null,
    };
    await this.store.add(roomId, cue);
    await this.toCompositor(roomId, cue);
    this.ctx.io.to(channels.room(roomId)).emit('cue', cue);
    return cue;
  }

  /** The cues of the room's current (or last) broadcast, oldest first. */
  async list(roomId: string): Promise<Cue[]> {
    const live = await this.live(roomId);
    return live.broadcastId ? this.store.list(roomId, live.broadcastId) : [];
  }

  /**
   * A compositor (re)started the room: it gets the broadcast's cues again (its playlist writer
   * ignores those it already lists), so a cue sent while none listened is not lost.
   */
  async resend(roomId: string): Promise<void> {
    for (const cue of await this.list(roomId)) await this.toCompositor(roomId, cue);
  }

  private async toCompositor(roomId: string, cue: Cue): Promise<void> {
    const msg: IngestMessage = { type: 'cue', roomId, cue };
    await this.ctx.redis.publish(compositorChannel(roomId), JSON.stringify(msg));
  }
}
