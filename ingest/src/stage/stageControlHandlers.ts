import { z } from 'zod';
import { STAGE_ENTRIES, STAGE_MUTE_SOURCES } from '@stagecast/protocol';
import { request, type HandlerGroup } from '../core/requests.js';
import type { RateLimits } from '../core/RateLimits.js';
import { entityId } from '../core/ids.js';
import type { StageControl } from './StageControl.js';

const source = z.enum(STAGE_MUTE_SOURCES);

/**
 * On/off air, mutes and stage entry from the host app. Every request is counted, then checked
 * by StageControl against the role of the server's Peer (never the client's word).
 */
export function stageControlHandlers(control: StageControl, limits: RateLimits): HandlerGroup {
  return ({ room, peer }) => {
    const limit = () => limits.consume('stageControl', `${room.id}:${peer.id}`);
    return {
      requests: [
        request('stage:setOnAir', z.object({ peerId: entityId, onAir: z.boolean() }), async (p) => {
          await limit();
          return { onAir: await control.setOnAir(room.id, peer.identity, p.peerId, p.onAir) };
        }),

        request(
          'stage:mute',
          z.object({ peerId: entityId, source, hard: z.boolean().optional() }),
          async (p) => {
            await limit();
            await control.mute(room, peer.identity, p.peerId, p.source, p.hard ?? false);
            return {};
          },
        ),

        request('stage:liftHardMute', z.object({ peerId: entityId, source }), async (p) => {
          await limit();
          await control.liftHardMute(room, peer.identity, p.peerId, p.source);
          return {};
        }),

        request('stage:muteAll', z.object({ source, hard: z.boolean().optional() }), async (p) => {
          await limit();
          return { muted: await control.muteAll(room, peer.identity, p.source, p.hard ?? false) };
        }),

        request('stage:setEntry', z.object({ stageEntry: z.enum(STAGE_ENTRIES) }), async (p) => {
          await limit();
          return { stageEntry: await control.setEntry(room.id, peer.identity, p.stageEntry) };
        }),
      ],
    };
  };
}
