import { z } from 'zod';
import { STAGE_ENTRIES } from '@stagecast/protocol';
import { parse } from '../core/validation.js';
import { entityId } from '../core/ids.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import type { StageControl } from './StageControl.js';

const airSchema = z.object({ onAir: z.boolean() });
const entrySchema = z.object({ stageEntry: z.enum(STAGE_ENTRIES) });

/**
 * For the operator (API secret): `POST /api/rooms/:id/stage/:peerId/air` `{ onAir }` puts a
 * stage member on air or backstage; `GET`/`PUT /api/rooms/:id/stage/entry` `{ stageEntry }`.
 */
export function registerStageControlRoutes(router: Router, access: ApiAccess, control: StageControl): void {
  router.add('POST', '/api/rooms/:id/stage/:peerId/air', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const peerId = parse(entityId, rc.params.peerId);
    const { onAir } = parse(airSchema, await readJson(rc.req));
    sendJson(rc.res, 200, { peerId, onAir: await control.setOnAir(record.id, null, peerId, onAir) });
  });
  router.add('GET', '/api/rooms/:id/stage/entry', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    sendJson(rc.res, 200, { stageEntry: await control.entry(record.id) });
  });
  router.add('PUT', '/api/rooms/:id/stage/entry', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { stageEntry } = parse(entrySchema, await readJson(rc.req));
    sendJson(rc.res, 200, { stageEntry: await control.setEntry(record.id, null, stageEntry) });
  });
}
