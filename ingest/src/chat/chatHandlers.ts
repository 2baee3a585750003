import { z } from 'zod';
import type { ChatService } from './ChatService.js';
import { MAX_MUTE_SECONDS, MAX_SLOW_MODE_SECONDS } from './ChatService.js';
import { request, type HandlerGroup } from '../core/requests.js';
import { entityId } from '../core/ids.js';

/**
 * Raw text is cut off well above the 500-character limit; the exact limit is checked after
 * cleaning (control characters do not count against it).
 */
const MAX_RAW_TEXT = 4000;

/** A client's message id: UUIDs and similar; no spaces or separators that could confuse logs. */
const clientId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, "_", ".", ":" or "-"');
/** Message ids are Redis stream entry ids (`<ms>-<seq>`). */
const messageId = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'not a message id');
const peerId = entityId;

/** Chat requests. Roles are read from the server's Peer on every request. */
export function chatHandlers(chat: ChatService): HandlerGroup {
  return ({ room, peer, socket }) => ({
    requests: [
      request('chat:send', z.object({ clientId, text: z.string().max(MAX_RAW_TEXT) }), (p) =>
        chat.send(room.id, peer.identity, socket.data.ip, p.clientId, p.text),
      ),

      request('chat:delete', z.object({ messageId }), async (p) => {
        await chat.delete(room.id, peer.identity, p.messageId);
        return {};
      }),

      request('chat:pin', z.object({ messageId: messageId.nullable() }), async (p) => {
        await chat.pin(room.id, peer.identity, p.messageId);
        return {};
      }),

      request(
        'chat:mute',
        z.object({ peerId, seconds: z.number().int().min(0).max(MAX_MUTE_SECONDS) }),
        (p) => chat.mute(room.id, peer.identity, p.peerId, p.seconds),
      ),

      request(
        'chat:slowMode',
        z.object({ seconds: z.number().int().min(0).max(MAX_SLOW_MODE_SECONDS) }),
        async (p) => {
          await chat.setSlowMode(room.id, peer.identity, p.seconds);
          return {};
        },
      ),
    ],
  });
}
