import { randomBytes } from 'node:crypto';
import {
  can,
  compositorChannel,
  isRestreamUrl,
  maskStreamKey,
  MAX_RESTREAMS,
  StagecastError,
  type IngestMessage,
  type LiveState,
  type PeerIdentity,
  type RestreamDestination,
  type RestreamInput,
  type RestreamStatus,
  type StoredRestream,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { RestreamStore } from './RestreamStore.js';

/** Where the service reads which broadcast is on air (statuses of another one are stale). */
export type RestreamLiveSource = (roomId: string) => Promise<LiveState>;

/**
 * Restream destinations of every room. Hosts add and remove them (the socket API, or the
 * operator over REST); the transcoder of a live broadcast hears of every change at once and
 * reports each destination's status, which hosts and co-hosts get live. Stream keys go to
 * Redis and the transcoder only: every answer carries the masked form.
 */
export class RestreamService {
  readonly store: RestreamStore;

  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'redis' | 'logger'>,
    private readonly live: RestreamLiveSource,
  ) {
    this.store = new RestreamStore(ctx.redis, ctx.logger.child({ component: 'restream' }));
  }

  /** `by` is null for the REST API (authorised by the API secret). */
  async add(roomId: string, by: PeerIdentity | null, input: RestreamInput): Promise<RestreamDestination> {
    requireHost(by);
    if (!isRestreamUrl(input.url))
      throw new StagecastError(
        'RESTREAM_URL_INVALID',
        'url: must be an rtmp:// or rtmps:// URL with a host and no credentials (the key goes in streamKey)',
      );
    const restream: StoredRestream = {
      id: `rs_${randomBytes(9).toString('base64url')}`,
      label: input.label,
      url: input.url,
      streamKey: input.streamKey,
      createdAt: new Date().toISOString(),
    };
    if (!(await this.store.add(roomId, restream, MAX_RESTREAMS)))
      throw new StagecastError(
        'RESTREAM_LIMIT',
        `A room has at most ${MAX_RESTREAMS} restream destinations; remove one first`,
      );
    // Never the key, nor the URL with it: only who did what.
    this.ctx.logger.info(
      { room: roomId, restream: restream.id, by: by?.peerId ?? 'api' },
      'restream destination added',
    );
    await this.changed(roomId);
    return this.describe(restream, undefined, undefined);
  }

  async remove(roomId: string, by: PeerIdentity | null, id: string): Promise<void> {
    requireHost(by);
    if (!(await this.store.remove(roomId, id)))
      throw new StagecastError('NOT_FOUND', 'No restream destination with that id in this room');
    this.ctx.logger.info(
      { room: roomId, restream: id, by: by?.peerId ?? 'api' },
      'restream destination removed',
    );
    await this.changed(roomId);
  }

  /** Every destination of the room with the live broadcast's status (`idle` when none is live). */
  async list(roomId: string): Promise<RestreamDestination[]> {
    const [restreams, statuses, live] = await Promise.all([
      this.store.list(roomId),
      this.store.statuses(roomId),
      this.live(roomId),
    ]);
    const onAir = live.state === 'live' || live.state === 'starting' ? live.broadcastId : undefined;
    return restreams.map((r) => this.describe(r, statuses.get(r.id), onAir));
  }

  /** The transcoder reported a status: hosts and co-hosts on this process hear the whole list. */
  async onStatus(roomId: string): Promise<void> {
    this.ctx.io.local.to(channels.managers(roomId)).emit('restream:destinations', await this.list(roomId));
  }

  private describe(
    r: StoredRestream,
    status: RestreamStatus | undefined,
    onAir: string | undefined,
  ): RestreamDestination {
    const base = {
      id: r.id,
      label: r.label,
      url: r.url,
      streamKeyMasked: maskStreamKey(r.streamKey),
      createdAt: r.createdAt,
    };
    if (onAir === undefined) return { ...base, state: 'idle' };
    // Live, but the transcoder has not reported this destination yet: it is being started.
    if (!status || status.broadcastId !== onAir) return { ...base, state: 'connecting' };
    return {
      ...base,
      state: status.state,
      since: status.since,
      ...(status.reason !== undefined ? { reason: status.reason } : {}),
    };
  }

  /** Tells the room's compositor (wherever it runs) and every host. */
  private async changed(roomId: string): Promise<void> {
    const msg: IngestMessage = { type: 'restreams', roomId };
    await this.ctx.redis.publish(compositorChannel(roomId), JSON.stringify(msg));
    this.ctx.io.to(channels.managers(roomId)).emit('restream:destinations', await this.list(roomId));
  }
}

function requireHost(by: PeerIdentity | null): void {
  // Destinations are part of running the broadcast: the host's alone, like start and stop.
  if (by && !can(by.role, 'broadcast'))
    throw new StagecastError('FORBIDDEN', 'Only the host can manage restream destinations');
}
