import { z } from 'zod';
import { StagecastError } from '@stagecast/protocol';
import type { ModerationService } from './ModerationService.js';
import type { RoomStore } from '../rooms/RoomStore.js';
import { request, type HandlerGroup } from '../core/requests.js';
import { entityId } from '../core/ids.js';
import { linkBase } from '../rooms/links.js';

const empty = z.object({}).strict().or(z.undefined());

/** Bans and link rotation from the host app. Roles are read from the server's Peer on every request. */
export function moderationHandlers(
  moderation: ModerationService,
  store: RoomStore,
  /** See `STAGECAST_PUBLIC_URL`. */
  publicUrl: string | undefined,
): HandlerGroup {
  return ({ room, peer, socket }) => ({
    requests: [
      request(
        'room:ban',
        z.object({ peerId: entityId, reason: z.string().max(200).optional() }),
        async (p) => {
          await moderation.ban(room.id, peer.identity, p.peerId, p.reason);
          return {};
        },
      ),

      request('room:bans', empty, () => moderation.list(room.id, peer.identity)),

      request('room:unban', z.object({ peerId: z.string().min(1).max(64) }), async (p) => {
        await moderation.unban(room.id, peer.identity, p.peerId);
        return {};
      }),

      request('room:rotateLink', z.object({ link: z.enum(['viewer', 'cohost']) }), async (p) => {
        const record = await store.get(room.id);
        if (!record) throw new StagecastError('ROOM_NOT_FOUND', 'This room does not exist (any more)');
        const base = linkBase(publicUrl, socket.handshake.headers, 'localhost');
        const links = await moderation.rotate(record, peer.identity, p.link, base);
        return { link: links[p.link] };
      }),
    ],
  });
}
