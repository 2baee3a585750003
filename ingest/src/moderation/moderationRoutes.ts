import { z } from 'zod';
import { LINK_KINDS, type BanListResponse, type RotateLinkResponse } from '@stagecast/protocol';
import type { ModerationService } from './ModerationService.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import { sendJson, type Router } from '../http/router.js';
import { parse } from '../core/validation.js';
import { linkBase } from '../rooms/links.js';

const linkKind = z.enum(LINK_KINDS);
/** Peer ids of bans: the ids tokens carry (UUIDs, or what the REST API was given). */
const bannedId = z.string().min(1).max(64);

/** Bans and link rotation for the operator (API secret). */
export function registerModerationRoutes(
  router: Router,
  moderation: ModerationService,
  access: ApiAccess,
  links: { publicUrl: string | undefined; port: number },
): void {
  router.add('GET', '/api/rooms/:id/bans', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const body: BanListResponse = { bans: await moderation.list(record.id, null) };
    sendJson(rc.res, 200, body);
  });

  router.add('DELETE', '/api/rooms/:id/bans/:peerId', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    await moderation.unban(record.id, null, parse(bannedId, rc.params.peerId));
    rc.res.writeHead(204).end();
  });

  router.add('POST', '/api/rooms/:id/links/:link', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const link = parse(linkKind, rc.params.link);
    const base = linkBase(links.publicUrl, rc.req.headers, `localhost:${links.port}`);
    const body: RotateLinkResponse = { links: await moderation.rotate(record, null, link, base) };
    sendJson(rc.res, 200, body);
  });
}
