import { z } from 'zod';
import { can, StagecastError } from '@stagecast/protocol';
import { restreamIdSchema, restreamInputSchema } from '@stagecast/protocol/schemas';
import { request, type HandlerGroup } from '../core/requests.js';
import { parse } from '../core/validation.js';
import type { RestreamService } from './RestreamService.js';

/** `restream:list`, `restream:add`, `restream:remove`, for hosts. */
export function restreamHandlers(restreams: RestreamService): HandlerGroup {
  return ({ room, peer }) => {
    // Checked before the payload is parsed: whoever may not manage them hears only that.
    const requireHost = () => {
      if (!can(peer.role, 'broadcast'))
        throw new StagecastError('FORBIDDEN', 'Only the host can manage restream destinations');
    };
    return {
      requests: [
        request('restream:list', z.unknown(), () => {
          requireHost();
          return restreams.list(room.id);
        }),
        request('restream:add', z.unknown(), (payload) => {
          requireHost();
          return restreams.add(room.id, peer.identity, parse(restreamInputSchema, payload));
        }),
        request('restream:remove', z.unknown(), async (payload) => {
          requireHost();
          await restreams.remove(room.id, peer.identity, parse(restreamIdSchema, payload).id);
          return {};
        }),
      ],
    };
  };
}
