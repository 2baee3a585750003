import type { Cue, CueJson } from '@stagecast/protocol';
import { subscribe } from './ChatClient.js';
import { Emitter } from './Emitter.js';
import type { Room } from './Room.js';
import type { SyncedTimeline } from './SyncedTimeline.js';

/** Events of a CueClient. */
export interface CueClientEvents extends Record<string, unknown[]> {
  /** A cue, when the viewer's picture reaches it (at once without a timeline or a picture). */
  cue: [cue: Cue];
}

export interface CueClientOptions {
  /** Holds each cue until the picture reaches its time; without it cues fire on arrival. */
  timeline?: SyncedTimeline;
}

/** Cue ids remembered, so a cue fires once even if it arrives twice. */
const SEEN_KEPT = 500;

/**
 * Cues of a room: hosts send them (`send`), everyone gets `cue` when the moment it marks is
 * on their screen.
 *
 * ```ts
 * const cues = new CueClient(room, { timeline: new SyncedTimeline(player) });
 * cues.on('cue', (cue) => { if (cue.name === 'poll') showPoll(cue.payload); });
 * await cues.send('poll', { question: 'Tea or coffee?' }); // hosts
 * ```
 *
 * Refusals reject with StagecastClientError: FORBIDDEN (not the host), NOT_LIVE, BAD_REQUEST
 * (a name outside 1–64 of `A-Za-z0-9_.:-`, a payload over 1 KB of JSON), RATE_LIMITED.
 */
export class CueClient extends Emitter<CueClientEvents> {
  private readonly seen: string[] = [];
  private readonly unsubscribe: () => void;
  private readonly timeline: SyncedTimeline | undefined;

  constructor(
    private readonly room: Room,
    options: CueClientOptions = {},
  ) {
    super();
    this.timeline = options.timeline;
    this.unsubscribe = subscribe(room, 'cue', (cue) => this.receive(cue));
  }

  /** Sends a cue into the live broadcast (hosts); resolves with it as stamped. */
  send(name: string, payload?: CueJson): Promise<Cue> {
    return this.room.request('cue:send', payload === undefined ? { name } : { name, payload });
  }

  /** Stops listening; cues still held are not fired. */
  close(): void {
    this.unsubscribe();
    this.removeAllListeners();
  }

  private receive(cue: Cue): void {
    if (this.seen.includes(cue.id)) return;
    this.seen.push(cue.id);
    if (this.seen.length > SEEN_KEPT) this.seen.shift();
    const fire = () => this.emit('cue', cue);
    if (this.timeline) this.timeline.hold(cue.at, fire);
    else fire();
  }
}
