import { z } from 'zod';
import { can, StagecastError } from '@stagecast/protocol';
import { request, type HandlerGroup } from '../core/requests.js';
import { parse } from '../core/validation.js';
import type { BroadcastService } from './BroadcastService.js';
import type { LayoutService } from './LayoutService.js';
import { layoutChoiceSchema } from '@stagecast/protocol/schemas';

const empty = z.object({}).strict().or(z.undefined());

/** `broadcast:start` / `broadcast:stop` for hosts; `broadcast:layout` for hosts and co-hosts. */
export function broadcastHandlers(broadcast: BroadcastService, layouts: LayoutService): HandlerGroup {
  return ({ room, peer }) => {
    const requireHost = () => {
      if (!can(peer.role, 'broadcast'))
        throw new StagecastError('FORBIDDEN', 'Only the host can start or stop the broadcast');
    };
    const requests = [
      request('broadcast:start', empty, () => {
        requireHost();
        return broadcast.start(room.id);
      }),
      request('broadcast:stop', empty, () => {
        requireHost();
        return broadcast.stop(room.id);
      }),
      // The payload is parsed after the permission check: whoever may not choose hears only that.
      request('broadcast:layout', z.unknown(), (payload) => {
        if (!can(peer.role, 'manageStage'))
          throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts choose the layout');
        return layouts.choose(room.id, parse(layoutChoiceSchema, payload));
      }),
    ];
    return { requests };
  };
}
