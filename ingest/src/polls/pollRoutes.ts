import type { Poll, PollListResponse, PollVotesResponse } from '@stagecast/protocol';
import { closePollBodySchema, createPollSchema, pollRefSchema } from '@stagecast/protocol/schemas';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import { parse } from '../core/validation.js';
import type { PollService } from './PollService.js';

/**
 * Polls for the operator (API secret): `POST /api/rooms/:id/polls` opens one,
 * `GET /api/rooms/:id/polls` lists them (newest first, with results),
 * `POST /api/rooms/:id/polls/:pollId/close` closes one (`{ shareResults }`), and
 * `GET /api/rooms/:id/polls/:pollId/votes` lists who voted for what (not for anonymous polls).
 */
export function registerPollRoutes(router: Router, access: ApiAccess, polls: PollService): void {
  router.add('POST', '/api/rooms/:id/polls', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const body = parse(createPollSchema, await readJson(rc.req));
    const poll: Poll = await polls.create(record.id, null, body);
    sendJson(rc.res, 201, { poll });
  });
  router.add('GET', '/api/rooms/:id/polls', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const body: PollListResponse = { polls: await polls.list(record.id, null) };
    sendJson(rc.res, 200, body);
  });
  router.add('POST', '/api/rooms/:id/polls/:pollId/close', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { pollId } = parse(pollRefSchema, { pollId: rc.params.pollId });
    const { shareResults } = parse(closePollBodySchema, await readJson(rc.req));
    sendJson(rc.res, 200, { poll: await polls.close(record.id, null, pollId, shareResults) });
  });
  router.add('GET', '/api/rooms/:id/polls/:pollId/votes', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { pollId } = parse(pollRefSchema, { pollId: rc.params.pollId });
    const body: PollVotesResponse = { votes: await polls.votes(record.id, null, pollId) };
    sendJson(rc.res, 200, body);
  });
}
