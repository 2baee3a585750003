import { PollsClient, type CreatePollRequest, type Poll, type PollResults, type Room } from '@stagecast/sdk';
import { describeError } from './errors.js';

type Notify = (text: string) => void;

/**
 * Polls for both apps: the open poll with one's vote and its counts (when this person may see
 * them), and for hosts the history. The server decides who may do what.
 */
export class PollsState {
  open = $state.raw<Poll | null>(null);
  mine = $state.raw<readonly number[] | null>(null);
  /** Counts of the open poll, when this person may see them. */
  results = $state.raw<PollResults | null>(null);
  /** The last poll that closed with results this person may see (cleared when one opens). */
  lastClosed = $state.raw<Poll | null>(null);
  history = $state.raw<readonly Poll[]>([]);
  busy = $state(false);
  error = $state<string | null>(null);

  readonly #client: PollsClient;
  readonly #off: (() => void)[] = [];

  constructor(
    room: Room,
    private readonly notify: Notify,
    /** Whether to keep the history (hosts and co-hosts). */
    private readonly keepHistory: () => boolean,
  ) {
    const c = (this.#client = new PollsClient(room));
    this.#setOpen(c.open);
    this.mine = c.mine;
    c.on('open', (poll) => {
      if (poll) this.lastClosed = null;
      this.#setOpen(poll);
    });
    c.on('mine', (mine) => (this.mine = mine));
    c.on('results', (results) => {
      if (this.open?.id === results.pollId) this.results = results;
    });
    c.on('closed', (poll) => {
      if (poll.results) this.lastClosed = poll;
      void this.refresh();
    });
    this.#off.push(room.on('reconnected', () => void this.refresh()));
    void this.refresh();
  }

  async refresh(): Promise<void> {
    if (!this.keepHistory()) return;
    try {
      this.history = await this.#client.list();
    } catch (error) {
      this.error = describeError(error);
    }
  }

  async create(request: CreatePollRequest): Promise<boolean> {
    return this.#run(async () => {
      await this.#client.create(request);
      await this.refresh();
    });
  }

  async vote(choices: number[]): Promise<boolean> {
    const poll = this.open;
    if (!poll) return false;
    return this.#run(() => this.#client.vote(choices, poll.id));
  }

  async closePoll(pollId: string, shareResults: boolean): Promise<boolean> {
    return this.#run(async () => {
      await this.#client.closePoll(pollId, { shareResults });
      this.notify(shareResults ? 'Poll closed; everyone sees the results.' : 'Poll closed.');
    });
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#client.close();
  }

  #setOpen(poll: Poll | null): void {
    this.open = poll;
    this.results = poll?.results ?? null;
  }

  async #run(step: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await step();
      return true;
    } catch (error) {
      this.error = describeError(error);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
