import { z } from 'zod';
import type { QuestionService } from './QuestionService.js';
import { request, type HandlerGroup } from '../core/requests.js';

/** Raw text is cut off well above the 300-character limit, which is checked after cleaning. */
const MAX_RAW_TEXT = 2000;

/** A client's question id: UUIDs and similar. */
const clientId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, "_", ".", ":" or "-"');
/** Question ids are `q<n>`; checked before any Redis lookup so an id cannot name another key. */
export const questionId = z.string().regex(/^q\d{1,15}$/, 'not a question id');
const empty = z.object({}).strict().or(z.undefined());

/** Q&A requests. Roles are read from the server's Peer on every request. */
export function questionHandlers(questions: QuestionService): HandlerGroup {
  return ({ room, peer }) => ({
    requests: [
      request('qa:ask', z.object({ clientId, text: z.string().max(MAX_RAW_TEXT) }), (p) =>
        questions.ask(room.id, peer.identity, p.clientId, p.text),
      ),

      request('qa:list', empty, () => questions.list(room.id, peer.identity)),

      request('qa:upvote', z.object({ questionId, on: z.boolean() }), (p) =>
        questions.upvote(room.id, peer.identity, p.questionId, p.on),
      ),

      request('qa:answer', z.object({ questionId, answered: z.boolean() }), (p) =>
        questions.setAnswered(room.id, peer.identity, p.questionId, p.answered),
      ),

      request('qa:hide', z.object({ questionId, hidden: z.boolean() }), (p) =>
        questions.setHidden(room.id, peer.identity, p.questionId, p.hidden),
      ),

      request('qa:highlight', z.object({ questionId: questionId.nullable() }), async (p) => {
        await questions.highlight(room.id, peer.identity, p.questionId);
        return {};
      }),

      request('qa:banAsker', z.object({ questionId, reason: z.string().max(200).optional() }), async (p) => {
        await questions.banAsker(room.id, peer.identity, p.questionId, p.reason);
        return {};
      }),
    ],
  });
}
