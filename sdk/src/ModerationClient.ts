import type { BanEntry } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import { subscribe } from './ChatClient.js';
import type { Room } from './Room.js';

/** Events of a ModerationClient. */
export interface ModerationClientEvents extends Record<string, unknown[]> {
  /** The room's ban list changed (someone was banned, a ban was lifted). */
  bans: [bans: BanEntry[]];
  /** The viewer link was rotated; share this one from now on. */
  viewerLink: [link: string];
}

/**
 * Moderation for hosts and co-hosts: the list of bans and lifting them, and rotating role
 * links (banning itself is `ChatClient.ban`).
 *
 * ```ts
 * const moderation = new ModerationClient(room);
 * moderation.on('bans', (bans) => render(bans));
 * const bans = await moderation.bans();
 * await moderation.unban(bans[0].peerId);
 * const { link } = await moderation.rotateLink('viewer'); // the old link and its viewers are out
 * ```
 *
 * Refusals reject with StagecastClientError: FORBIDDEN (not allowed for this role: only hosts
 * ban co-hosts, lift their bans and rotate links; nobody bans a host), NOT_FOUND.
 */
export class ModerationClient extends Emitter<ModerationClientEvents> {
  private readonly offs: (() => void)[] = [];

  constructor(private readonly room: Room) {
    super();
    this.offs.push(
      subscribe(room, 'room:bans', (bans) => this.emit('bans', bans)),
      subscribe(room, 'room:viewerLink', ({ link }) => this.emit('viewerLink', link)),
    );
  }

  /** The room's bans, newest first. */
  bans(): Promise<BanEntry[]> {
    return this.room.request('room:bans', {});
  }

  /** Lifts a ban: the person can join again. */
  async unban(peerId: string): Promise<void> {
    await this.room.request('room:unban', { peerId });
  }

  /**
   * Replaces the viewer or co-host link (hosts only). The old link stops working and everyone
   * who joined through it is disconnected (`closed` with `link-rotated`). Resolves with the new link.
   */
  rotateLink(link: 'viewer' | 'cohost'): Promise<{ link: string }> {
    return this.room.request('room:rotateLink', { link });
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }
}
