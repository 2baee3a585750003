import {
  QuestionsClient,
  StagecastClientError,
  type Question,
  type QuestionOrder,
  type Room,
} from '@stagecast/sdk';
import { MAX_QUESTION_LENGTH } from '@stagecast/protocol';
import { describeError } from './errors.js';

type Notify = (text: string) => void;

export { MAX_QUESTION_LENGTH };

/** The server's messages for Q&A refusals say what happened better than the generic texts. */
function reason(error: unknown): string {
  return error instanceof StagecastClientError ? error.message : describeError(error);
}

/** Most votes first (ties: oldest first), or oldest first. */
export function sortQuestions(questions: readonly Question[], order: QuestionOrder): Question[] {
  const byTime = [...questions].sort(
    (a, b) => a.ts - b.ts || a.id.localeCompare(b.id, 'en', { numeric: true }),
  );
  return order === 'votes' ? byTime.sort((a, b) => b.votes - a.votes) : byTime;
}

/**
 * The Q&A both apps show: questions, one's own upvotes and the hosts' actions. The server
 * decides who may do what; hidden questions reach hosts and co-hosts only.
 */
export class QaState {
  questions = $state.raw<readonly Question[]>([]);
  /** Ids of the questions this person upvoted. */
  upvoted = $state.raw<ReadonlySet<string>>(new Set());
  order = $state<QuestionOrder>('votes');
  asking = $state(false);
  askError = $state<string | null>(null);
  readonly sorted: Question[] = $derived(sortQuestions(this.questions, this.order));
  readonly highlighted: Question | null = $derived(this.questions.find((q) => q.highlighted) ?? null);

  readonly #client: QuestionsClient;

  constructor(
    private readonly room: Room,
    private readonly notify: Notify,
  ) {
    this.#client = new QuestionsClient(room);
    const sync = () => this.#sync();
    for (const event of ['question', 'removed', 'highlighted', 'reset'] as const)
      this.#client.on(event, sync);
    this.#sync();
  }

  mine(question: Question): boolean {
    return question.asker.peerId === this.room.self.peerId;
  }

  /** Resolves whether the question was asked (a refusal is shown in `askError`). */
  async ask(text: string): Promise<boolean> {
    this.asking = true;
    try {
      await this.#client.ask(text);
      this.askError = null;
      this.#sync();
      return true;
    } catch (error) {
      this.askError = reason(error);
      return false;
    } finally {
      this.asking = false;
    }
  }

  async toggleUpvote(question: Question): Promise<void> {
    await this.#act(() => this.#client.upvote(question.id, !this.upvoted.has(question.id)), 'Could not vote');
  }

  async answer(question: Question): Promise<void> {
    await this.#act(() => this.#client.answer(question.id, !question.answered), 'Could not mark it');
  }

  async hide(question: Question): Promise<void> {
    await this.#act(() => this.#client.hide(question.id, !question.hidden), 'Could not change it');
  }

  /** On air, or off air when it already is. */
  async highlight(question: Question): Promise<void> {
    await this.#act(
      () => this.#client.highlight(question.highlighted ? null : question.id),
      'Could not change what is on air',
    );
  }

  async banAsker(question: Question): Promise<void> {
    if (await this.#act(() => this.#client.banAsker(question.id), 'Could not ban'))
      this.notify(`${question.asker.name || 'The asker'} was removed from the room.`);
  }

  close(): void {
    this.#client.close();
  }

  async #act(run: () => Promise<unknown>, what: string): Promise<boolean> {
    try {
      await run();
      this.#sync();
      return true;
    } catch (error) {
      this.notify(`${what}: ${reason(error)}`);
      return false;
    }
  }

  #sync(): void {
    this.questions = this.#client.questions;
    this.upvoted = new Set(this.questions.filter((q) => this.#client.hasUpvoted(q.id)).map((q) => q.id));
  }
}
