import type { Question, QuestionsState } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import type { Room } from './Room.js';

/** Events of a QuestionsClient. */
export interface QuestionsClientEvents extends Record<string, unknown[]> {
  /** A new question, or a change to one (votes, answered, hidden, highlighted). */
  question: [question: Question];
  /** A question was hidden by a host: gone from `questions` (hosts get `question` instead). */
  removed: [questionId: string];
  /** The question shown on air as the lower-third; null when none. */
  highlighted: [question: Question | null];
  /** The whole state was replaced from a fresh snapshot (after a reconnect). */
  reset: [state: QuestionsState];
}

/** How to order questions: most votes first (then oldest), or oldest first. */
export type QuestionOrder = 'votes' | 'time';

/**
 * The Q&A of a room, apart from chat: ask, upvote others' questions once each, and for hosts
 * and co-hosts mark answered, hide, ban the asker and highlight one question on air (the
 * composite shows it as a lower-third).
 *
 * ```ts
 * const qa = new QuestionsClient(room);
 * qa.on('question', () => render(qa.sorted('votes'))); // render text as text, never as HTML
 * await qa.ask('Will the slides be shared?');
 * await qa.upvote(qa.questions[0].id);
 * await qa.highlight(qa.questions[0].id); // hosts and co-hosts: on air now
 * ```
 *
 * Refusals reject with StagecastClientError: BAD_REQUEST (empty, over 300 characters, bad id),
 * FORBIDDEN (managing questions without being a host or co-host; upvoting your own question),
 * NOT_FOUND, RATE_LIMITED and CHAT_MUTED (with `retryAfterMs`), LIMIT_REACHED (room full).
 */
export class QuestionsClient extends Emitter<QuestionsClientEvents> {
  private readonly byId = new Map<string, Question>();
  private readonly mine = new Set<string>();
  private readonly offs: (() => void)[] = [];

  constructor(private readonly room: Room) {
    super();
    this.apply(room.snapshot.questions);
    this.offs.push(
      room.subscribe('qa:question', (question) => this.put(question)),
      room.subscribe('qa:removed', ({ questionId }) => {
        if (this.byId.delete(questionId)) this.emit('removed', questionId);
      }),
      room.subscribe('qa:highlighted', ({ question }) => {
        for (const q of this.byId.values())
          if (q.highlighted && q.id !== question?.id) this.byId.set(q.id, { ...q, highlighted: false });
        if (question) this.byId.set(question.id, question);
        this.emit('highlighted', question);
      }),
      room.on('reconnected', (snapshot) => {
        this.apply(snapshot.questions);
        this.emit('reset', snapshot.questions);
      }),
    );
  }

  /** Questions, oldest first (hidden ones only for hosts and co-hosts). */
  get questions(): Question[] {
    return [...this.byId.values()].sort((a, b) => a.ts - b.ts || seq(a) - seq(b));
  }

  /** The questions in an order: by votes (most first, ties oldest first) or by time. */
  sorted(order: QuestionOrder): Question[] {
    const list = this.questions;
    return order === 'votes' ? list.sort((a, b) => b.votes - a.votes) : list;
  }

  /** The question on air as the lower-third, if any. */
  get highlighted(): Question | null {
    return [...this.byId.values()].find((q) => q.highlighted) ?? null;
  }

  /** Whether this person upvoted a question. */
  hasUpvoted(questionId: string): boolean {
    return this.mine.has(questionId);
  }

  /** Asks a question; a retry with the same `clientId` is stored once. */
  async ask(text: string, options: { clientId?: string } = {}): Promise<Question> {
    const question = await this.room.request('qa:ask', { clientId: options.clientId ?? newId(), text });
    this.put(question);
    return question;
  }

  /** Fetches the list again (the live events keep `questions` current otherwise). */
  async refresh(): Promise<Question[]> {
    const list = await this.room.request('qa:list', {});
    this.byId.clear();
    for (const q of list) this.byId.set(q.id, q);
    return this.questions;
  }

  /** Upvotes (or with `on: false` takes the vote back); resolves with the new count. */
  async upvote(questionId: string, on = true): Promise<number> {
    const { votes, upvoted } = await this.room.request('qa:upvote', { questionId, on });
    if (upvoted) this.mine.add(questionId);
    else this.mine.delete(questionId);
    const known = this.byId.get(questionId);
    if (known) this.byId.set(questionId, { ...known, votes });
    return votes;
  }

  /** Marks a question answered, or not (hosts and co-hosts). */
  answer(questionId: string, answered = true): Promise<Question> {
    return this.room.request('qa:answer', { questionId, answered });
  }

  /** Hides a question from the audience, or shows it again (hosts and co-hosts). */
  hide(questionId: string, hidden = true): Promise<Question> {
    return this.room.request('qa:hide', { questionId, hidden });
  }

  /** Shows a question on air as the lower-third; `null` takes it off (hosts and co-hosts). */
  async highlight(questionId: string | null): Promise<void> {
    await this.room.request('qa:highlight', { questionId });
  }

  /** Bans the asker from the room (the room's ban) and hides their questions. */
  async banAsker(questionId: string, reason?: string): Promise<void> {
    await this.room.request('qa:banAsker', reason === undefined ? { questionId } : { questionId, reason });
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }

  private apply(state: QuestionsState | undefined): void {
    this.byId.clear();
    this.mine.clear();
    // A server without Q&A sends no state.
    for (const q of state?.questions ?? []) this.byId.set(q.id, q);
    for (const id of state?.upvoted ?? []) this.mine.add(id);
  }

  private put(question: Question): void {
    this.byId.set(question.id, question);
    this.emit('question', question);
  }
}

/** Ids are `q<n>`, in the order asked: the tie-break for questions of the same millisecond. */
const seq = (q: Question): number => Number(q.id.slice(1));

/** A random request id; `crypto.randomUUID` is missing outside secure contexts, so fall back. */
function newId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  return Array.from(c.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
