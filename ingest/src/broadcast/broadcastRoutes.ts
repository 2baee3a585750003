import { z } from 'zod';
import { parse } from '../core/validation.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import type { BroadcastService } from './BroadcastService.js';
import type { LayoutService } from './LayoutService.js';
import { layoutChoiceSchema } from '@stagecast/protocol/schemas';

const actionSchema = z.object({ action: z.enum(['start', 'stop']) });

/**
 * `POST /api/rooms/:id/broadcast`, `GET /api/rooms/:id/recordings`, and the layout choice:
 * `GET /api/rooms/:id/layout` and `PUT /api/rooms/:id/layout` (body and answer a `LayoutChoice`).
 */
export function registerBroadcastRoutes(
  router: Router,
  access: ApiAccess,
  broadcast: BroadcastService,
  layouts: LayoutService,
): void {
  router.add('POST', '/api/rooms/:id/broadcast', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { action } = parse(actionSchema, await readJson(rc.req));
    const live = action === 'start' ? await broadcast.start(record.id) : await broadcast.stop(record.id);
    sendJson(rc.res, 200, { live });
  });
  router.add('GET', '/api/rooms/:id/recordings', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    sendJson(rc.res, 200, { recordings: await broadcast.recordings(record.id) });
  });
  router.add('GET', '/api/rooms/:id/layout', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    sendJson(rc.res, 200, await layouts.get(record.id));
  });
  router.add('PUT', '/api/rooms/:id/layout', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const choice = parse(layoutChoiceSchema, await readJson(rc.req));
    sendJson(rc.res, 200, await layouts.choose(record.id, choice));
  });
}
