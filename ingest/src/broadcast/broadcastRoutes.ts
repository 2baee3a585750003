import { z } from 'zod';
import type { IngestContext } from '../signaling/context.js';
import { parse } from '../validation.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import { requireRoom, requireSecret } from '../http/restApi.js';
import type { BroadcastService } from './BroadcastService.js';

const actionSchema = z.object({ action: z.enum(['start', 'stop']) });

/** `POST /api/rooms/:id/broadcast` and `GET /api/rooms/:id/recordings`. */
export function registerBroadcastRoutes(router: Router, ctx: IngestContext, broadcast: BroadcastService): void {
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
}
