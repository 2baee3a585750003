import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { IngestKeyCreated, IngestKeyInfo } from '@stagecast/protocol';
import { entityId } from '../../core/ids.js';
import { parse } from '../../core/validation.js';
import { readJson, readText, sendJson, type RequestContext, type Router } from '../../http/router.js';
import type { ApiAccess } from '../../rooms/ApiAccess.js';
import type { RtmpIngest } from './RtmpIngest.js';

const createSchema = z.object({ name: z.string().trim().min(1).max(64) });

/**
 * For the operator (API secret): `POST /api/rooms/:id/ingest` `{ name }` makes an RTMP ingest
 * key (the stream key is in this answer only), `GET` lists them, `DELETE …/ingest/:keyId`
 * revokes one and takes its publisher off the stage. And the RTMP front's callbacks, under a
 * path holding this process's callback secret.
 */
export function registerRtmpRoutes(router: Router, access: ApiAccess, rtmp: RtmpIngest): void {
  router.add('POST', '/api/rooms/:id/ingest', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { name } = parse(createSchema, await readJson(rc.req));
    const created: IngestKeyCreated = await rtmp.createKey(record.id, name, rc.req.headers.host);
    sendJson(rc.res, 201, created);
  });
  router.add('GET', '/api/rooms/:id/ingest', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const keys: IngestKeyInfo[] = await rtmp.listKeys(record.id);
    sendJson(rc.res, 200, {
      enabled: rtmp.enabled,
      rtmpUrl: rtmp.enabled ? rtmp.rtmpUrl(rc.req.headers.host) : null,
      keys,
    });
  });
  router.add('DELETE', '/api/rooms/:id/ingest/:keyId', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    await rtmp.deleteKey(record.id, parse(entityId, rc.params.keyId));
    sendJson(rc.res, 200, { deleted: true });
  });

  // nginx-rtmp's notifications: a 2xx admits (or keeps) the stream, anything else drops it.
  router.add('POST', '/internal/rtmp/:secret/:call', async (rc) => {
    if (!sameSecret(rc.params.secret ?? '', rtmp.callbackSecret)) return notFound(rc);
    const form = new URLSearchParams(await readText(rc.req));
    const streamKey = form.get('name') ?? '';
    let admitted = true;
    switch (rc.params.call) {
      case 'publish':
        admitted = form.get('app') === 'live' && (await rtmp.onPublish(streamKey));
        break;
      case 'update':
        admitted = await rtmp.onUpdate(streamKey);
        break;
      case 'done':
        await rtmp.onDone(streamKey);
        break;
      default:
        return notFound(rc);
    }
    rc.res.writeHead(admitted ? 200 : 403, { 'content-type': 'text/plain' });
    rc.res.end(admitted ? 'ok' : 'refused');
  });
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function notFound({ res }: RequestContext): void {
  sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
}
