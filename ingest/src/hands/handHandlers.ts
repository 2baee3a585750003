import { z } from 'zod';
import type { HandService } from './HandService.js';
import { MAX_QUESTION_LENGTH } from './HandService.js';
import type { StagePromotion } from './StagePromotion.js';
import type { AudienceService } from './AudienceService.js';
import { sanitizeChatText } from '../chat/sanitizeChatText.js';
import { request, type HandlerGroup } from '../core/requests.js';
import type { RateLimits } from '../core/RateLimits.js';
import { entityId } from '../core/ids.js';

const empty = z
  .object({})
  .strict()
  .or(z.undefined())
  .transform(() => ({}));
const peerId = entityId;
/** A question is cleaned like chat text; an empty one counts as none. */
const question = z
  .string()
  .max(2000)
  .transform((s) => sanitizeChatText(s))
  .pipe(z.string().max(MAX_QUESTION_LENGTH, `must be at most ${MAX_QUESTION_LENGTH} characters`))
  .optional();

/**
 * Raise hand, stage invitations, demotion and the audience list. Permissions are checked by
 * the services against the role of the server's Peer, re-read on every request.
 */
export function handHandlers(
  hands: HandService,
  promotion: StagePromotion,
  audience: AudienceService,
  limits: RateLimits,
): HandlerGroup {
  return ({ room, peer }) => {
    // Raises and lowers share one count per peer: toggling notifies every manager each time.
    const handLimit = () => limits.consume('hand', `${room.id}:${peer.id}`);
    return {
      requests: [
        request('hand:raise', z.object({ question }), async (p) => {
          await handLimit();
          return hands.raise(room.id, peer.identity, p.question === '' ? undefined : p.question);
        }),

        request('hand:lower', empty, async () => {
          await handLimit();
          await hands.lower(room.id, peer.identity);
          return {};
        }),

        request('hand:dismiss', z.object({ peerId }), async (p) => {
          await hands.dismiss(room.id, peer.identity, p.peerId);
          return {};
        }),

        request('hand:lowerAll', empty, async () => {
          await hands.lowerAll(room.id, peer.identity);
          return {};
        }),

        request('stage:invite', z.object({ peerId }), (p) =>
          promotion.invite(room.id, peer.identity, p.peerId),
        ),

        request('stage:respondInvite', z.object({ inviteId: entityId, accept: z.boolean() }), (p) =>
          promotion.respond(room.id, peer.identity, p.inviteId, p.accept),
        ),

        request('stage:demote', z.object({ peerId }), async (p) => {
          await promotion.demote(room.id, peer.identity, p.peerId);
          return {};
        }),

        request('stage:leave', empty, () => promotion.leave(room.id, peer.identity)),

        request('audience:list', empty, () => audience.list(room.id, peer.identity)),
      ],
      onDisconnect: () => hands.scheduleDepartureCheck(room.id, peer.id),
    };
  };
}
