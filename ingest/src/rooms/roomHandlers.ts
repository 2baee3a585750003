import { z } from 'zod';
import { request, type HandlerGroup } from '../core/requests.js';
import type { JoinSnapshots } from './JoinSnapshots.js';

/** `room:join`: the snapshot a client asks for after every (re)connect. */
export function roomHandlers(snapshots: JoinSnapshots): HandlerGroup {
  return (session) => ({
    requests: [
      request('room:join', z.object({}).passthrough().or(z.undefined()), () => snapshots.build(session)),
    ],
  });
}
