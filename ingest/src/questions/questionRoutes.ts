import { z } from 'zod';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import { parse } from '../core/validation.js';
import type { QuestionService } from './QuestionService.js';
import { questionId } from './questionHandlers.js';

const patchSchema = z
  .object({ answered: z.boolean().optional(), hidden: z.boolean().optional() })
  .strict()
  .refine((p) => p.answered !== undefined || p.hidden !== undefined, 'give answered or hidden');
const highlightSchema = z.object({ questionId: questionId.nullable() }).strict();

/**
 * For the operator (API secret): `GET /api/rooms/:id/questions` (every question, hidden ones
 * included), `POST /api/rooms/:id/questions/:qid` (`{ answered?, hidden? }`, answers the
 * question) and `PUT /api/rooms/:id/questions/on-air` (`{ questionId | null }`).
 */
export function registerQuestionRoutes(router: Router, access: ApiAccess, questions: QuestionService): void {
  router.add('GET', '/api/rooms/:id/questions', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const list = await questions.list(record.id, null);
    sendJson(rc.res, 200, {
      questions: list,
      highlightedId: list.find((q) => q.highlighted)?.id ?? null,
    });
  });

  router.add('PUT', '/api/rooms/:id/questions/on-air', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const body = parse(highlightSchema, await readJson(rc.req));
    await questions.highlight(record.id, null, body.questionId);
    sendJson(rc.res, 200, { highlightedId: body.questionId });
  });

  router.add('POST', '/api/rooms/:id/questions/:qid', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const id = parse(questionId, rc.params.qid);
    const body = parse(patchSchema, await readJson(rc.req));
    let question = null;
    if (body.answered !== undefined)
      question = await questions.setAnswered(record.id, null, id, body.answered);
    if (body.hidden !== undefined) question = await questions.setHidden(record.id, null, id, body.hidden);
    sendJson(rc.res, 200, question);
  });
}
