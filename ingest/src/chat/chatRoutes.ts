import type { ApiAccess } from '../rooms/ApiAccess.js';
import { sendJson, type Router } from '../http/router.js';
import type { ChatService } from './ChatService.js';

/** `GET /api/rooms/:id/chat`: the room's recent messages, for moderation tools and archives. */
export function registerChatRoutes(router: Router, access: ApiAccess, chat: ChatService): void {
  router.add('GET', '/api/rooms/:id/chat', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { messages } = await chat.state(record.id);
    sendJson(rc.res, 200, { messages });
  });
}
