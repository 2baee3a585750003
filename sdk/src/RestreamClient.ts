import type { RestreamDestination, RestreamInput } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import type { Room } from './Room.js';

/** Events of a RestreamClient. */
export interface RestreamClientEvents extends Record<string, unknown[]> {
  /** The room's destinations after any change (added, removed, a status change). */
  destinations: [destinations: RestreamDestination[]];
}

/**
 * The room's restream destinations (hosts): RTMP(S) URLs and stream keys the live broadcast
 * is pushed to, each with its status (`idle`, `connecting`, `live`, `failed` with a reason).
 * Keys are sent once and only ever come back masked.
 *
 * ```ts
 * const restreams = new RestreamClient(room);
 * restreams.on('destinations', (list) => render(list));
 * await restreams.add({ label: 'YouTube', url: 'rtmp://a.rtmp.youtube.com/live2', streamKey });
 * ```
 *
 * Refusals reject with StagecastClientError: FORBIDDEN (not the host), RESTREAM_URL_INVALID
 * (not `rtmp://` or `rtmps://`), RESTREAM_LIMIT (the room has the most it may), BAD_REQUEST
 * (an empty label or key), NOT_FOUND (removing one that is gone).
 */
export class RestreamClient extends Emitter<RestreamClientEvents> {
  private readonly unsubscribe: () => void;

  constructor(private readonly room: Room) {
    super();
    this.unsubscribe = room.subscribe('restream:destinations', (list) => this.emit('destinations', list));
  }

  list(): Promise<RestreamDestination[]> {
    return this.room.request('restream:list', {});
  }

  /** Live at once when the broadcast is. */
  add(input: RestreamInput): Promise<RestreamDestination> {
    return this.room.request('restream:add', input);
  }

  /** Its upload stops at once. */
  async remove(id: string): Promise<void> {
    await this.room.request('restream:remove', { id });
  }

  close(): void {
    this.unsubscribe();
    this.removeAllListeners();
  }
}
