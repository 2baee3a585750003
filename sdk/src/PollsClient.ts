import type { CreatePollRequest, JoinSnapshot, Poll, PollResults, PollVote } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import type { Room } from './Room.js';

/** Events of a PollsClient. */
export interface PollsClientEvents extends Record<string, unknown[]> {
  /** The open poll changed: opened, closed (then `open` is null), or refreshed after a reconnection. */
  open: [poll: Poll | null];
  /** Live counts (hosts and co-hosts; everyone when the poll shows its results). At most 4 a second. */
  results: [results: PollResults];
  /** A poll closed; `results` is filled when the receiver may see them. */
  closed: [poll: Poll];
  /** One's own choices in the open poll (after voting, or from the server after a reconnection). */
  mine: [choices: number[] | null];
}

/**
 * Polls, for both sides.
 *
 * Everyone: `open` (the room's open poll), `mine` (one's own choices), `vote(choices)` (again to
 * change the vote while it is open), `list()` (the room's polls, newest first).
 * Hosts and co-hosts: `create(...)`, `closePoll(pollId, { shareResults })`, `votes(pollId)` (who
 * voted for what, not for anonymous polls), and live `results`.
 * Refusals reject with StagecastClientError: FORBIDDEN, POLL_OPEN (one open poll per room),
 * POLL_CLOSED, NOT_FOUND, BAD_REQUEST (bad question, options or choice), RATE_LIMITED.
 */
export class PollsClient extends Emitter<PollsClientEvents> {
  private openPoll: Poll | null = null;
  private myChoices: number[] | null = null;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly room: Room) {
    super();
    this.apply(room.snapshot);
    this.offs.push(
      room.subscribe('poll:opened', (poll) => {
        this.openPoll = poll;
        this.myChoices = null;
        this.emit('open', poll);
        this.emit('mine', null);
      }),
      room.subscribe('poll:results', (results) => {
        if (this.openPoll?.id === results.pollId) this.openPoll = { ...this.openPoll, results };
        this.emit('results', results);
      }),
      room.subscribe('poll:closed', (poll) => {
        if (this.openPoll?.id === poll.id) {
          this.openPoll = null;
          this.emit('open', null);
        }
        this.emit('closed', poll);
      }),
      room.on('reconnected', (snapshot) => {
        this.apply(snapshot);
        this.emit('open', this.openPoll);
        this.emit('mine', this.myChoices);
      }),
    );
  }

  /** The room's open poll, or null. */
  get open(): Poll | null {
    return this.openPoll;
  }

  /** One's own choices in the open poll, or null before voting. */
  get mine(): number[] | null {
    return this.myChoices;
  }

  /** Opens a poll (hosts and co-hosts); everyone gets `open`. */
  create(poll: CreatePollRequest): Promise<Poll> {
    return this.room.request('poll:create', poll);
  }

  /** Votes in the open poll (by default); voting again replaces one's vote. */
  async vote(choices: number[], pollId = this.requireOpen()): Promise<number[]> {
    const { choices: kept } = await this.room.request('poll:vote', { pollId, choices });
    if (this.openPoll?.id === pollId) {
      this.myChoices = kept;
      this.emit('mine', kept);
    }
    return kept;
  }

  /** Closes a poll (hosts and co-hosts); `shareResults` shows the final counts to everyone. */
  closePoll(pollId = this.requireOpen(), options: { shareResults?: boolean } = {}): Promise<Poll> {
    return this.room.request('poll:close', { pollId, shareResults: options.shareResults ?? false });
  }

  /** The room's polls, newest first. */
  list(): Promise<Poll[]> {
    return this.room.request('poll:list', {});
  }

  /** Who voted for what (hosts and co-hosts; FORBIDDEN for an anonymous poll). */
  votes(pollId: string): Promise<PollVote[]> {
    return this.room.request('poll:votes', { pollId });
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }

  private requireOpen(): string {
    if (!this.openPoll) throw new Error('No open poll; pass a pollId');
    return this.openPoll.id;
  }

  private apply(snapshot: JoinSnapshot): void {
    // A server without polls sends none.
    this.openPoll = snapshot.polls?.open ?? null;
    this.myChoices = snapshot.polls?.mine ?? null;
  }
}
