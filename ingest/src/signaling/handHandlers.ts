import { z } from 'zod';
import type { HandService } from '../hands/HandService.js';
import { MAX_QUESTION_LENGTH } from '../hands/HandService.js';
import type { StagePromotion } from '../hands/StagePromotion.js';
import type { AudienceService } from '../hands/AudienceService.js';
import { sanitizeChatText } from '../chat/sanitizeChatText.js';
import type { HandlerGroup } from '../core/context.js';
import { handle } from './handle.js';

const empty = z
  .object({})
  .strict()
  .or(z.undefined())
  .transform(() => ({}));
const peerId = z.string().min(1).max(64);
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
): HandlerGroup {
  return (_ctx, { socket, room, peer, logger }) => {
    handle(socket, logger, 'hand:raise', z.object({ question }), (p) =>
      hands.raise(room.id, peer.identity, p.question === '' ? undefined : p.question),
    );

    handle(socket, logger, 'hand:lower', empty, async () => {
      await hands.lower(room.id, peer.identity);
      return {};
    });

    handle(socket, logger, 'hand:dismiss', z.object({ peerId }), async (p) => {
      await hands.dismiss(room.id, peer.identity, p.peerId);
      return {};
    });

    handle(socket, logger, 'hand:lowerAll', empty, async () => {
      await hands.lowerAll(room.id, peer.identity);
      return {};
    });

    handle(socket, logger, 'stage:invite', z.object({ peerId }), (p) =>
      promotion.invite(room.id, peer.identity, p.peerId),
    );

    handle(
      socket,
      logger,
      'stage:respondInvite',
      z.object({ inviteId: z.string().min(1).max(64), accept: z.boolean() }),
      (p) => promotion.respond(room.id, peer.identity, p.inviteId, p.accept),
    );

    handle(socket, logger, 'stage:demote', z.object({ peerId }), async (p) => {
      await promotion.demote(room.id, peer.identity, p.peerId);
      return {};
    });

    handle(socket, logger, 'stage:leave', empty, () => promotion.leave(room.id, peer.identity));

    handle(socket, logger, 'audience:list', empty, () => audience.list(room.id, peer.identity));

    socket.on('disconnect', () => hands.scheduleDepartureCheck(room.id, peer.id));
  };
}
