import { z } from 'zod';
import { request, type HandlerGroup } from '../core/requests.js';
import type { RateLimits } from '../core/RateLimits.js';
import type { JoinSnapshots } from './JoinSnapshots.js';

/**
 * `room:join`: the snapshot a client asks for after every (re)connect. Limited per peer: a
 * snapshot carries the chat history and the stage, far more than the request costs.
 */
export function roomHandlers(limits: RateLimits, snapshots: JoinSnapshots): HandlerGroup {
  return (session) => ({
    requests: [
      request('room:join', z.object({}).passthrough().or(z.undefined()), async () => {
        await limits.consume('snapshot', `${session.room.id}:${session.peer.id}`);
        return snapshots.build(session);
      }),
    ],
  });
}
