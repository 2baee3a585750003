import { randomUUID } from 'node:crypto';
import {
  can,
  StagecastError,
  type CreatePollRequest,
  type PeerIdentity,
  type Poll,
  type PollVote,
  type PollsSnapshot,
  type Role,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { Throttle } from '../core/Throttle.js';
import { sanitizeChatText } from '../chat/sanitizeChatText.js';
import { PollStore, voterKey } from './PollStore.js';

/** At most 4 result updates a second per room and process, whatever the number of voters. */
export const RESULTS_INTERVAL_MS = 250;

/**
 * Polls: one open poll per room, one vote per person (replaceable while open), live results
 * to hosts and co-hosts (and to everyone when the poll shows them), history kept with the room.
 */
export class PollService {
  readonly store: PollStore;
  private readonly throttle: Throttle;

  constructor(private readonly ctx: Pick<IngestContext, 'io' | 'redis' | 'logger'>) {
    this.store = new PollStore(ctx.redis, ctx.logger);
    this.throttle = new Throttle(RESULTS_INTERVAL_MS, (key) => {
      const [roomId = '', pollId = ''] = key.split('\n');
      void this.publishResults(roomId, pollId).catch((error: unknown) =>
        ctx.logger.warn({ err: error, room: roomId, poll: pollId }, 'poll results update failed'),
      );
    });
  }

  /** `by` null: the REST API. */
  async create(roomId: string, by: PeerIdentity | null, request: Required<CreatePollRequest>): Promise<Poll> {
    if (by) requireManager(by.role);
    const question = cleanText(request.question, 'question');
    const options = request.options.map((o, i) => cleanText(o, `options.${i}`));
    const id = randomUUID();
    const blocking = await this.store.create(roomId, id, {
      question,
      options,
      multiple: request.multiple,
      anonymous: request.anonymous,
      showResults: request.showResults,
      createdAt: Date.now(),
      createdBy: by ? { peerId: by.peerId, name: by.name } : null,
    });
    if (blocking !== null)
      throw new StagecastError('POLL_OPEN', 'A poll is already open in this room; close it first');
    const poll = await this.require(roomId, id);
    this.publish(roomId, 'poll:opened', poll);
    return poll;
  }

  async vote(roomId: string, who: PeerIdentity, pollId: string, choices: number[]): Promise<number[]> {
    if (!can(who.role, 'vote')) throw new StagecastError('FORBIDDEN', 'You cannot vote in this room');
    const poll = await this.require(roomId, pollId);
    if (poll.state !== 'open') throw pollClosed();
    if (!poll.multiple && choices.length !== 1)
      throw new StagecastError('BAD_REQUEST', 'Invalid request: choices: this poll takes one option');
    if (choices.some((c) => c >= poll.options.length))
      throw new StagecastError('BAD_REQUEST', 'Invalid request: choices: no such option');
    const sorted = [...choices].sort((a, b) => a - b);
    const key = voterKey(pollId, who.peerId, poll.anonymous);
    const outcome = await this.store.vote(roomId, pollId, key, sorted, poll.anonymous ? null : who.name);
    // Closed between the read above and the vote.
    if (outcome === -1) throw pollClosed();
    if (outcome === -2) throw notFound();
    this.throttle.schedule(`${roomId}\n${pollId}`);
    return sorted;
  }

  async close(roomId: string, by: PeerIdentity | null, pollId: string, share: boolean): Promise<Poll> {
    if (by) requireManager(by.role);
    const outcome = await this.store.close(roomId, pollId, share);
    if (outcome === -2) throw notFound();
    if (outcome === 0) throw new StagecastError('POLL_CLOSED', 'This poll is closed already');
    // The closing message carries the final counts: a pending update would only repeat them.
    this.throttle.cancel(`${roomId}\n${pollId}`);
    const poll = await this.require(roomId, pollId);
    this.publish(roomId, 'poll:closed', poll);
    return poll;
  }

  /** Newest first; results blanked where `role` may not see them (null: the REST API sees all). */
  async list(roomId: string, role: Role | null): Promise<Poll[]> {
    const polls = await this.store.list(roomId);
    return role === null ? polls : polls.map((p) => viewFor(p, role));
  }

  /** Who voted for what; hosts, co-hosts and the REST API only, never for an anonymous poll. */
  async votes(roomId: string, by: PeerIdentity | null, pollId: string): Promise<PollVote[]> {
    if (by) requireManager(by.role);
    const poll = await this.require(roomId, pollId);
    if (poll.anonymous)
      throw new StagecastError('FORBIDDEN', 'This poll is anonymous: only its counts can be seen');
    return this.store.votes(roomId, pollId);
  }

  async snapshot(roomId: string, who: PeerIdentity): Promise<PollsSnapshot> {
    const openId = await this.store.openPollId(roomId);
    const poll = openId ? await this.store.get(roomId, openId) : null;
    if (!poll || poll.state !== 'open') return { open: null, mine: null };
    const mine = await this.store.choicesOf(roomId, poll.id, voterKey(poll.id, who.peerId, poll.anonymous));
    return { open: viewFor(poll, who.role), mine };
  }

  /** Stops the pending result updates (the counts are in Redis). */
  stop(): void {
    this.throttle.close();
  }

  private async require(roomId: string, pollId: string): Promise<Poll> {
    const poll = await this.store.get(roomId, pollId);
    if (!poll) throw notFound();
    return poll;
  }

  private async publishResults(roomId: string, pollId: string): Promise<void> {
    const poll = await this.store.get(roomId, pollId);
    // A closed poll's final counts went out with `poll:closed`.
    if (!poll || poll.state !== 'open' || !poll.results) return;
    const to = poll.showResults ? channels.room(roomId) : channels.managers(roomId);
    this.ctx.io.to(to).emit('poll:results', poll.results);
  }

  /** Managers get the counts; everyone else gets them only when they are shown or shared. */
  private publish(roomId: string, event: 'poll:opened' | 'poll:closed', poll: Poll): void {
    const { io } = this.ctx;
    io.to(channels.managers(roomId)).emit(event, poll);
    io.to(channels.room(roomId)).except(channels.managers(roomId)).emit(event, viewFor(poll, 'viewer'));
  }
}

/** The poll as someone with `role` may see it. */
export function viewFor(poll: Poll, role: Role): Poll {
  const visible =
    can(role, 'managePolls') || poll.showResults || (poll.state === 'closed' && poll.resultsShared);
  return visible ? poll : { ...poll, results: null };
}

/** Cleaned like chat text, on one line; still 1 character or more. */
function cleanText(raw: string, field: string): string {
  const text = sanitizeChatText(raw).replace(/\s*\n\s*/g, ' ');
  if (text === '') throw new StagecastError('BAD_REQUEST', `Invalid request: ${field}: must not be empty`);
  return text;
}

function requireManager(role: Role): void {
  if (!can(role, 'managePolls'))
    throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts open and close polls');
}

const notFound = () => new StagecastError('NOT_FOUND', 'No such poll in this room');
const pollClosed = () => new StagecastError('POLL_CLOSED', 'This poll is closed');
