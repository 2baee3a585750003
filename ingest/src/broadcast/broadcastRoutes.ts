import { z } from 'zod';
import type { IngestContext } from '../core/context.js';
import { parse } from '../core/validation.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import { requireRoom, requireSecret } from '../http/restApi.js';
import type { BroadcastService } from './BroadcastService.js';
import type { LayoutService } from './LayoutService.js';
import { layoutChoiceSchema } from './schemas.js';

const actionSchema = z.object({ action: z.enum(['start', 'stop']) });

/**
 * `POST /api/rooms/:id/broadcast`, `GET /api/rooms/:id/recordings`, and the layout choice:
 * `GET /api/rooms/:id/layout` and `PUT /api/rooms/:id/layout` (body and answer a `LayoutChoice`).
 */
export function registerBroadcastRoutes(
  router: Router,
  ctx: IngestContext,
  broadcast: BroadcastService,
  layouts: LayoutService,
): void {
  router.add('POST', '/api/rooms/:id/broadcast', async (rc) => {
    requireSecret(ctx, rc);
    const record = await requireRoom(ctx, rc.params.id);
    const { action } = parse(actionSchema, await readJson(rc.req));
    const live = action === 'start' ? await broadcast.start(record.id) : await broadcast.stop(record.id);
    sendJson(rc.res, 200, { live });
  });
  router.add('GET', '/api/rooms/:id/recordings', async (rc) => {
    requireSecret(ctx, rc);
    const record = await requireRoom(ctx, rc.params.id);
    sendJson(rc.res, 200, { recordings: await broadcast.recordings(record.id) });
  });
  router.add('GET', '/api/rooms/:id/layout', async (rc) => {
    requireSecret(ctx, rc);
    const record = await requireRoom(ctx, rc.params.id);
    sendJson(rc.res, 200, await layouts.get(record.id));
  });
  router.add('PUT', '/api/rooms/:id/layout', async (rc) => {
    requireSecret(ctx, rc);
    const record = await requireRoom(ctx, rc.params.id);
    const choice = parse(layoutChoiceSchema, await readJson(rc.req));
    sendJson(rc.res, 200, await layouts.choose(record.id, choice));
  });
}
