import { cueInputSchema } from '@stagecast/protocol/schemas';
import { parse } from '../core/validation.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import type { CueService } from './CueService.js';

/**
 * `POST /api/rooms/:id/cues` (body a `CueInput`, answers `{ cue }`) and
 * `GET /api/rooms/:id/cues` (the current or last broadcast's cues, oldest first).
 */
export function registerCueRoutes(router: Router, access: ApiAccess, cues: CueService): void {
  router.add('POST', '/api/rooms/:id/cues', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const input = parse(cueInputSchema, await readJson(rc.req));
    sendJson(rc.res, 201, { cue: await cues.send(record.id, null, input) });
  });
  router.add('GET', '/api/rooms/:id/cues', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    sendJson(rc.res, 200, { cues: await cues.list(record.id) });
  });
}
