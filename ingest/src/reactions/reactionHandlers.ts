import { sendReactionSchema } from '@stagecast/protocol/schemas';
import type { ReactionService } from './ReactionService.js';
import { request, type HandlerGroup } from '../core/requests.js';

/** `reaction:send`. */
export function reactionHandlers(reactions: ReactionService): HandlerGroup {
  return ({ room, peer }) => ({
    requests: [
      request('reaction:send', sendReactionSchema, async (p) => {
        await reactions.send(room.id, peer.identity, p.emoji);
        return {};
      }),
    ],
  });
}
