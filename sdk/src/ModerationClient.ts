import type { BanEntry, StageEntry, StageModeration, StageMuteSource } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import type { Room } from './Room.js';

/** Events of a ModerationClient. */
export interface ModerationClientEvents extends Record<string, unknown[]> {
  /** The room's ban list changed (someone was banned, a ban was lifted). */
  bans: [bans: BanEntry[]];
  /** The viewer link was rotated; share this one from now on. */
  viewerLink: [link: string];
  /** Someone muted, hard-muted or lifted a mute, or put someone on or off air (to those who manage the stage). */
  stageModerated: [event: StageModeration];
  /** Where promoted viewers arrive on stage changed. */
  stageEntry: [stageEntry: StageEntry];
}

/**
 * Moderation for hosts and co-hosts: the list of bans and lifting them, rotating role links
 * (banning itself is `ChatClient.ban`), and the stage: on/off air, mutes, hard mutes.
 *
 * ```ts
 * const moderation = new ModerationClient(room);
 * moderation.on('bans', (bans) => render(bans));
 * const bans = await moderation.bans();
 * await moderation.unban(bans[0].peerId);
 * const { link } = await moderation.rotateLink('viewer'); // the old link and its viewers are out
 * await moderation.setOnAir(guestId, true); // from backstage into the composite
 * await moderation.mute(guestId, 'mic', { hard: true }); // they cannot unmute until lifted
 * await moderation.liftHardMute(guestId, 'mic');
 * ```
 *
 * Refusals reject with StagecastClientError: FORBIDDEN (not allowed for this role: only hosts
 * ban co-hosts, lift their bans and rotate links; nobody bans a host; co-hosts mute and move
 * guests only), NOT_FOUND, BAD_REQUEST (not on stage; muting oneself), RATE_LIMITED.
 */
export class ModerationClient extends Emitter<ModerationClientEvents> {
  private readonly offs: (() => void)[] = [];

  constructor(private readonly room: Room) {
    super();
    this.offs.push(
      room.subscribe('room:bans', (bans) => this.emit('bans', bans)),
      room.subscribe('room:viewerLink', ({ link }) => this.emit('viewerLink', link)),
      room.subscribe('stage:moderated', (event) => this.emit('stageModerated', event)),
      room.subscribe('stage:entry', ({ stageEntry }) => this.emit('stageEntry', stageEntry)),
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

  /** Puts someone on stage on air (into the composite) or backstage. Resolves with the new state. */
  async setOnAir(peerId: string, onAir: boolean): Promise<boolean> {
    return (await this.room.request('stage:setOnAir', { peerId, onAir })).onAir;
  }

  /**
   * Mutes a stage member's microphone or camera (the server pauses it). `hard`: they cannot
   * unmute until `liftHardMute`. They are told who did it (`Stage` event `moderated`).
   */
  async mute(peerId: string, source: StageMuteSource, opts: { hard?: boolean } = {}): Promise<void> {
    await this.room.request('stage:mute', { peerId, source, hard: opts.hard ?? false });
  }

  /** Lifts a hard mute; the member unmutes themselves. */
  async liftHardMute(peerId: string, source: StageMuteSource): Promise<void> {
    await this.room.request('stage:liftHardMute', { peerId, source });
  }

  /** Mutes everyone on stage but oneself (hosts only); resolves with how many were paused. */
  async muteAll(source: StageMuteSource, opts: { hard?: boolean } = {}): Promise<number> {
    return (await this.room.request('stage:muteAll', { source, hard: opts.hard ?? false })).muted;
  }

  /** Where promoted viewers arrive on stage (hosts only). */
  async setStageEntry(stageEntry: StageEntry): Promise<StageEntry> {
    return (await this.room.request('stage:setEntry', { stageEntry })).stageEntry;
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }
}
