import type { RestreamListResponse } from '@stagecast/protocol';
import { restreamIdSchema, restreamInputSchema } from '@stagecast/protocol/schemas';
import { parse } from '../core/validation.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import type { RestreamService } from './RestreamService.js';

/**
 * `POST /api/rooms/:id/restreams` (a `RestreamInput`; 201 `{ restream }`, key masked),
 * `GET /api/rooms/:id/restreams` (`{ restreams }` with their status),
 * `DELETE /api/rooms/:id/restreams/:restreamId` (204). All with the API secret.
 */
export function registerRestreamRoutes(router: Router, access: ApiAccess, restreams: RestreamService): void {
  router.add('POST', '/api/rooms/:id/restreams', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const input = parse(restreamInputSchema, await readJson(rc.req));
    sendJson(rc.res, 201, { restream: await restreams.add(record.id, null, input) });
  });
  router.add('GET', '/api/rooms/:id/restreams', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const body: RestreamListResponse = { restreams: await restreams.list(record.id) };
    sendJson(rc.res, 200, body);
  });
  router.add('DELETE', '/api/rooms/:id/restreams/:restreamId', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { id } = parse(restreamIdSchema, { id: rc.params.restreamId });
    await restreams.remove(record.id, null, id);
    rc.res.writeHead(204).end();
  });
}
