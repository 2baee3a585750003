import {
  can,
  MAX_QUESTION_LENGTH,
  StagecastError,
  type PeerIdentity,
  type Question,
  type QuestionsState,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { chatLength, sanitizeChatText } from '../chat/sanitizeChatText.js';
import { MAX_QUESTIONS, QuestionStore } from './QuestionStore.js';

/** What the Q&A needs from other features, wired in Features. */
export interface QuestionHooks {
  /** How long the person is still muted in chat (a chat mute silences questions too). */
  mutedForMs: (roomId: string, peerId: string) => Promise<number>;
  /** The room's ban (ModerationService): checks, bans and disconnects. */
  ban: (roomId: string, by: PeerIdentity, peerId: string, reason: string | undefined) => Promise<void>;
  /** The highlighted question changed: the compositor's lower-third follows. */
  lowerThirdChanged: (roomId: string) => void;
}

/**
 * The Q&A of every room: asking, upvoting (once per identity), and the hosts' answered,
 * hide, ban and highlight. State is in Redis and notifications go through the Socket.IO Redis
 * adapter, so every ingest process sees the same questions. Hidden questions reach hosts and
 * co-hosts only.
 */
export class QuestionService {
  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'limits' | 'logger'>,
    readonly store: QuestionStore,
    private readonly hooks: QuestionHooks,
  ) {}

  /** What `who` may see of the room's Q&A (join snapshot). */
  async state(roomId: string, who: PeerIdentity): Promise<QuestionsState> {
    const questions = await this.list(roomId, who);
    const upvoted = await this.store.upvotedBy(
      roomId,
      who.peerId,
      questions.map((q) => q.id),
    );
    return { questions, upvoted };
  }

  /** Oldest first; `null` is the REST API (the operator sees everything). */
  async list(roomId: string, who: PeerIdentity | null): Promise<Question[]> {
    const all = await this.store.list(roomId);
    return who === null || can(who.role, 'moderate') ? all : all.filter((q) => !q.hidden);
  }

  async ask(roomId: string, asker: PeerIdentity, clientId: string, rawText: string): Promise<Question> {
    if (!can(asker.role, 'chat')) throw new StagecastError('FORBIDDEN', 'You cannot ask in this room');
    const text = sanitizeChatText(rawText);
    if (text.length === 0) throw new StagecastError('BAD_REQUEST', 'The question is empty');
    if (chatLength(text) > MAX_QUESTION_LENGTH) {
      throw new StagecastError('BAD_REQUEST', `Questions are limited to ${MAX_QUESTION_LENGTH} characters`);
    }
    const mutedMs = await this.hooks.mutedForMs(roomId, asker.peerId);
    if (mutedMs > 0) throw new StagecastError('CHAT_MUTED', 'A moderator muted you for a while', mutedMs);
    await this.ctx.limits.consume('question', `${roomId}:${asker.peerId}`);
    const result = await this.store.ask(roomId, asker, clientId, text);
    if (result.status === 'full') {
      await this.ctx.limits.refund('question', `${roomId}:${asker.peerId}`);
      throw new StagecastError('LIMIT_REACHED', `This room already has ${MAX_QUESTIONS} questions`);
    }
    const question = await this.require(roomId, result.id);
    if (result.status === 'created') this.announce(roomId, question);
    return question;
  }

  /** One vote per identity; your own question cannot be upvoted (FORBIDDEN). */
  async upvote(
    roomId: string,
    who: PeerIdentity,
    questionId: string,
    on: boolean,
  ): Promise<{ votes: number; upvoted: boolean }> {
    if (!can(who.role, 'chat')) throw new StagecastError('FORBIDDEN', 'You cannot vote in this room');
    await this.ctx.limits.consume('upvote', `${roomId}:${who.peerId}`);
    const result = await this.store.upvote(roomId, questionId, who.peerId, on, can(who.role, 'moderate'));
    if (result.status === 'missing') throw notFound();
    if (result.status === 'own') throw new StagecastError('FORBIDDEN', 'You cannot upvote your own question');
    if (result.changed) {
      const question = await this.store.get(roomId, questionId);
      if (question) this.announce(roomId, question);
    }
    return { votes: result.votes, upvoted: on };
  }

  async setAnswered(
    roomId: string,
    by: PeerIdentity | null,
    questionId: string,
    answered: boolean,
  ): Promise<Question> {
    requireModerator(by);
    if (!(await this.store.setFlag(roomId, questionId, 'answered', answered))) throw notFound();
    const question = await this.require(roomId, questionId);
    this.announce(roomId, question);
    if (question.highlighted) this.highlightedChanged(roomId, question);
    return question;
  }

  async setHidden(
    roomId: string,
    by: PeerIdentity | null,
    questionId: string,
    hidden: boolean,
  ): Promise<Question> {
    requireModerator(by);
    const result = await this.store.setFlag(roomId, questionId, 'hidden', hidden);
    if (!result) throw notFound();
    const question = await this.require(roomId, questionId);
    if (hidden) {
      // Hosts keep seeing it (marked hidden); for everyone else it is gone.
      this.ctx.io.to(channels.managers(roomId)).emit('qa:question', question);
      this.ctx.io
        .to(channels.room(roomId))
        .except(channels.managers(roomId))
        .emit('qa:removed', { questionId });
    } else this.announce(roomId, question);
    if (result.unhighlighted) this.highlightedChanged(roomId, null);
    return question;
  }

  /** At most one highlighted question per room; `null` takes it off air. */
  async highlight(roomId: string, by: PeerIdentity | null, questionId: string | null): Promise<void> {
    requireModerator(by);
    const result = await this.store.highlight(roomId, questionId);
    if (result.status === 'missing') throw notFound();
    if (result.status === 'hidden')
      throw new StagecastError('CONFLICT', 'A hidden question cannot be highlighted; show it first');
    if (result.previous === questionId) return;
    const previous = result.previous === null ? null : await this.store.get(roomId, result.previous);
    if (previous) this.announce(roomId, previous);
    const question = questionId === null ? null : await this.require(roomId, questionId);
    if (question) this.announce(roomId, question);
    this.highlightedChanged(roomId, question);
  }

  /** Bans the asker (the room's ban, with its checks) and hides their questions. */
  async banAsker(
    roomId: string,
    by: PeerIdentity,
    questionId: string,
    reason: string | undefined,
  ): Promise<void> {
    requireModerator(by);
    const question = await this.store.get(roomId, questionId);
    if (!question) throw notFound();
    await this.hooks.ban(roomId, by, question.asker.peerId, reason);
    for (const id of await this.store.idsOf(roomId, question.asker.peerId)) {
      await this.setHidden(roomId, null, id, true).catch((error: unknown) =>
        this.ctx.logger.warn({ err: error, room: roomId, question: id }, 'hiding a question failed'),
      );
    }
  }

  delete(roomId: string): Promise<void> {
    return this.store.delete(roomId);
  }

  /** A new or changed question, to those who may see it. */
  private announce(roomId: string, question: Question): void {
    const to = question.hidden ? channels.managers(roomId) : channels.room(roomId);
    this.ctx.io.to(to).emit('qa:question', question);
  }

  private highlightedChanged(roomId: string, question: Question | null): void {
    this.ctx.io.to(channels.room(roomId)).emit('qa:highlighted', { question });
    this.hooks.lowerThirdChanged(roomId);
  }

  private async require(roomId: string, id: string): Promise<Question> {
    const question = await this.store.get(roomId, id);
    if (!question) throw notFound();
    return question;
  }
}

const notFound = () => new StagecastError('NOT_FOUND', 'No such question');

/** `null` is the REST API, which may do anything. */
function requireModerator(who: PeerIdentity | null): void {
  if (who && !can(who.role, 'moderate'))
    throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts can manage questions');
}
