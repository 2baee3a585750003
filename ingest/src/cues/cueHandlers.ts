import { z } from 'zod';
import { can, StagecastError } from '@stagecast/protocol';
import { cueInputSchema } from '@stagecast/protocol/schemas';
import { request, type HandlerGroup } from '../core/requests.js';
import { parse } from '../core/validation.js';
import type { CueService } from './CueService.js';

/** `cue:send` for hosts. */
export function cueHandlers(cues: CueService): HandlerGroup {
  return ({ room, peer }) => ({
    requests: [
      // The payload is parsed after the permission check: whoever may not send hears only that.
      request('cue:send', z.unknown(), (payload) => {
        if (!can(peer.role, 'broadcast'))
          throw new StagecastError('FORBIDDEN', 'Only the host can send cues');
        return cues.send(room.id, peer.identity, parse(cueInputSchema, payload));
      }),
    ],
  });
}
