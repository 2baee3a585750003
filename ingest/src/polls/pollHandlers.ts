import { z } from 'zod';
import {
  closePollSchema,
  createPollSchema,
  pollRefSchema,
  votePollSchema,
} from '@stagecast/protocol/schemas';
import type { PollService } from './PollService.js';
import { request, type HandlerGroup } from '../core/requests.js';
import type { RateLimits } from '../core/RateLimits.js';

const empty = z
  .object({})
  .strict()
  .or(z.undefined())
  .transform(() => ({}));

/** Poll requests; the role is read from the server's Peer on every request. */
export function pollHandlers(polls: PollService, limits: RateLimits): HandlerGroup {
  return ({ room, peer }) => {
    const limit = () => limits.consume('poll', `${room.id}:${peer.id}`);
    return {
      requests: [
        request('poll:create', createPollSchema, async (p) => {
          await limit();
          return polls.create(room.id, peer.identity, p);
        }),
        request('poll:vote', votePollSchema, async (p) => {
          await limit();
          return { choices: await polls.vote(room.id, peer.identity, p.pollId, p.choices) };
        }),
        request('poll:close', closePollSchema, async (p) => {
          await limit();
          return polls.close(room.id, peer.identity, p.pollId, p.shareResults);
        }),
        request('poll:list', empty, () => polls.list(room.id, peer.role)),
        request('poll:votes', pollRefSchema, (p) => polls.votes(room.id, peer.identity, p.pollId)),
      ],
    };
  };
}
