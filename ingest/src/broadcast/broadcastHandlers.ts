import { z } from 'zod';
import { can, StagecastError } from '@stagecast/protocol';
import type { HandlerGroup } from '../core/context.js';
import { handle } from '../signaling/handle.js';
import { parse } from '../core/validation.js';
import type { BroadcastService } from './BroadcastService.js';
import type { LayoutService } from './LayoutService.js';
import { layoutChoiceSchema } from './schemas.js';

const empty = z.object({}).strict().or(z.undefined());

/** `broadcast:start` / `broadcast:stop` for hosts; `broadcast:layout` for hosts and co-hosts. */
export function broadcastHandlers(broadcast: BroadcastService, layouts: LayoutService): HandlerGroup {
  return (_ctx, { socket, room, peer, logger }) => {
    const requireHost = () => {
      if (!can(peer.role, 'broadcast'))
        throw new StagecastError('FORBIDDEN', 'Only the host can start or stop the broadcast');
    };
    handle(socket, logger, 'broadcast:start', empty, () => {
      requireHost();
      return broadcast.start(room.id);
    });
    handle(socket, logger, 'broadcast:stop', empty, () => {
      requireHost();
      return broadcast.stop(room.id);
    });
    // The payload is parsed after the permission check: whoever may not choose hears only that.
    handle(socket, logger, 'broadcast:layout', z.unknown(), (payload) => {
      if (!can(peer.role, 'manageStage'))
        throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts choose the layout');
      return layouts.choose(room.id, parse(layoutChoiceSchema, payload));
    });
  };
}
