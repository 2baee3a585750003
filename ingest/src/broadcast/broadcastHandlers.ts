import { z } from 'zod';
import { can, StagecastError } from '@stagecast/protocol';
import type { HandlerGroup } from '../signaling/context.js';
import { handle } from '../signaling/handle.js';
import type { BroadcastService } from './BroadcastService.js';

const empty = z.object({}).strict().or(z.undefined());

/** `broadcast:start` / `broadcast:stop` for hosts. */
export function broadcastHandlers(broadcast: BroadcastService): HandlerGroup {
  return (_ctx, { socket, room, peer, logger }) => {
    const requireHost = () => {
      if (!can(peer.role, 'broadcast')) throw new StagecastError('FORBIDDEN', 'Only the host can start or stop the broadcast');
    };
    handle(socket, logger, 'broadcast:start', empty, () => {
      requireHost();
      return broadcast.start(room.id);
    });
    handle(socket, logger, 'broadcast:stop', empty, () => {
      requireHost();
      return broadcast.stop(room.id);
    });
  };
}
