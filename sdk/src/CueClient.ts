import type { Cue, CueJson } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import type { HlsPlayer } from './HlsPlayer.js';
import { PictureClock } from './PictureClock.js';
import { cueOfDateRange, type CueMark, type PlaylistDateRange } from './playlistCues.js';
import type { Room } from './Room.js';
import type { SyncedTimeline } from './SyncedTimeline.js';

/** Events of a CueClient. */
export interface CueClientEvents extends Record<string, unknown[]> {
  /**
   * A cue, when the viewer's picture reaches it (at once without a timeline or a picture).
   * A whole `Cue` when it came over the connection; read from a playlist (a recording) it
   * has only what the playlist keeps: id, name, payload, at.
   */
  cue: [cue: CueMark | Cue];
}

export interface CueClientOptions {
  /** Holds each cue until the picture reaches its time; without it cues fire on arrival. */
  timeline?: SyncedTimeline;
  /**
   * Also reads cues from the player's playlist (EXT-X-DATERANGE): a recording keeps them,
   * and they fire as playback passes them (not those before where playback started or a
   * seek landed).
   */
  player?: HlsPlayer;
}

/** Cue ids remembered, so a cue fires once even if it arrives twice (socket and playlist). */
const KNOWN_KEPT = 500;
/** How often playback is looked at for playlist cues it passed. */
const PLAYLIST_TICK_MS = 100;
/** A jump of the picture further than this is a seek: cues it skips over do not fire. */
const SEEK_MS = 5000;

/**
 * Cues of a room: hosts send them (`send`), everyone gets `cue` when the moment it marks is
 * on their screen. Without a room (`null`), it only reads a player's playlist (a recording).
 *
 * ```ts
 * const cues = new CueClient(room, { timeline: new SyncedTimeline(player), player });
 * cues.on('cue', (cue) => { if (cue.name === 'poll') showPoll(cue.payload); });
 * await cues.send('poll', { question: 'Tea or coffee?' }); // hosts
 * ```
 *
 * Refusals reject with StagecastClientError: FORBIDDEN (not the host), NOT_LIVE, BAD_REQUEST
 * (a name outside 1–64 of `A-Za-z0-9_.:-`, a payload over 1 KB of JSON), RATE_LIMITED.
 */
export class CueClient extends Emitter<CueClientEvents> {
  private readonly known = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timeline: SyncedTimeline | undefined;
  /** Playlist cues playback has not passed yet. */
  private planned: CueMark[] = [];
  private readonly clock: PictureClock | undefined;
  private lastPicture: number | null = null;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly room: Room | null,
    options: CueClientOptions = {},
  ) {
    super();
    this.timeline = options.timeline;
    if (room) this.unsubscribe.push(room.subscribe('cue', (cue) => this.receive(cue)));
    const player = options.player;
    if (player) {
      this.clock = new PictureClock(player);
      this.unsubscribe.push(player.on('dateRanges', (ranges) => this.plan(ranges)));
    }
  }

  /** Sends a cue into the live broadcast (hosts); resolves with it as stamped. */
  send(name: string, payload?: CueJson): Promise<Cue> {
    if (!this.room) return Promise.reject(new Error('This CueClient has no room to send to'));
    return this.room.request('cue:send', payload === undefined ? { name } : { name, payload });
  }

  /** Stops listening; cues still held are not fired. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    clearInterval(this.ticker);
    this.planned = [];
    this.removeAllListeners();
  }

  /** Whether the cue is new to this client (it may come over the socket and in the playlist). */
  private learn(id: string): boolean {
    if (this.known.has(id)) return false;
    this.known.add(id);
    if (this.known.size > KNOWN_KEPT) this.known.delete(this.known.values().next().value ?? '');
    return true;
  }

  private receive(cue: Cue): void {
    if (!this.learn(cue.id)) return;
    const fire = () => this.emit('cue', cue);
    if (this.timeline) this.timeline.hold(cue.at, fire);
    else fire();
  }

  private plan(ranges: PlaylistDateRange[]): void {
    for (const range of ranges) {
      const mark = cueOfDateRange(range);
      if (mark && this.learn(mark.id)) this.planned.push(mark);
    }
    if (this.planned.length > 0) this.ticker ??= setInterval(() => this.tick(), PLAYLIST_TICK_MS);
  }

  /** Fires the playlist cues playback passed since the last look. */
  private tick(): void {
    const picture = this.clock?.now() ?? null;
    if (picture === null) return;
    const last = this.lastPicture;
    this.lastPicture = picture;
    if (last === null || picture < last || picture - last > SEEK_MS) return;
    const passed = this.planned.filter((m) => m.at > last && m.at <= picture);
    if (passed.length === 0) return;
    this.planned = this.planned.filter((m) => !passed.includes(m));
    for (const mark of passed.sort((a, b) => a.at - b.at)) this.emit('cue', mark);
  }
}
