import { z } from 'zod';
import {
  ROLES,
  STAGE_ENTRIES,
  StagecastError,
  type CreateRoomResponse,
  type JoinResponse,
  type LiveState,
  type RestreamDestination,
  type RoomInfo,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { parse } from '../core/validation.js';
import { readJson, sendJson, type RequestContext, type Router } from '../http/router.js';
import type { RoomPurge } from './RoomPurge.js';
import type { ApiAccess } from './ApiAccess.js';
import { clientIp } from '../core/RateLimits.js';
import { entityId } from '../core/ids.js';
import { MAX_TOKEN_TTL_SECONDS } from '../core/config.js';
import { linkBase, roomLinks } from './links.js';
import type { IdentityCookie, ViewerIdentity } from './IdentityCookie.js';
import type { BanStore } from '../moderation/BanStore.js';
import { linkOf } from './TokenService.js';

const displayName = z
  .string()
  .transform((s) => s.replace(/[\p{Cc}\p{Cf}]/gu, '').trim())
  .pipe(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'));

const createRoomSchema = z.object({ name: displayName, stageEntry: z.enum(STAGE_ENTRIES).optional() });
const createTokenSchema = z.object({
  role: z.enum(ROLES),
  name: displayName,
  ttlSeconds: z.number().int().min(60).max(MAX_TOKEN_TTL_SECONDS).optional(),
});
const joinSchema = z.object({ code: entityId, name: displayName });

export { displayName };

/**
 * Where the room API reads a room's broadcast state from: while live, it also carries the
 * picture on air, speed and quality from the compositor's last report.
 */
export type LiveStateSource = (roomId: string) => Promise<LiveState>;

export interface LinkBase {
  publicUrl: string | undefined;
  port: number;
}

const publicBase = (links: LinkBase, { req }: RequestContext) =>
  linkBase(links.publicUrl, req.headers, `localhost:${links.port}`);

/**
 * Management API (bearer secret) and the public join endpoint. `onDeleted` runs before a
 * deleted room's record goes: features end what still runs for it (a live broadcast ends
 * cleanly, with its recording).
 */
export function registerRoomRoutes(
  router: Router,
  ctx: Pick<IngestContext, 'io' | 'store' | 'presence' | 'rooms' | 'tokens' | 'limits' | 'bans' | 'webhooks'>,
  access: ApiAccess,
  links: LinkBase & { trustProxy: number },
  identity: IdentityCookie,
  live: LiveStateSource,
  /** A room's restream destinations with their status (keys masked). */
  restreams: (roomId: string) => Promise<RestreamDestination[]>,
  onDeleted: (roomId: string) => Promise<void>,
  purge: Pick<RoomPurge, 'purge'>,
): void {
  router.add('POST', '/api/rooms', async (rc) => {
    await access.requireSecret(rc);
    const { name, stageEntry } = parse(createRoomSchema, await readJson(rc.req));
    const record = await ctx.store.create(name, stageEntry ? { stageEntry } : {});
    const body: CreateRoomResponse = {
      id: record.id,
      name: record.name,
      links: roomLinks(publicBase(links, rc), record),
    };
    ctx.webhooks.emit('room.created', { roomId: record.id, name: record.name });
    sendJson(rc.res, 201, body);
  });

  router.add('GET', '/api/rooms', async (rc) => {
    await access.requireSecret(rc);
    const ids = await ctx.store.list();
    const rooms = (await Promise.all(ids.map((id) => ctx.store.get(id)))).filter((r) => r !== null);
    sendJson(rc.res, 200, { rooms: rooms.map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt })) });
  });

  router.add('GET', '/api/rooms/:id', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const room = ctx.rooms.get(record.id);
    const body: RoomInfo & { links: CreateRoomResponse['links'] } = {
      id: record.id,
      name: record.name,
      live: await live(record.id),
      stage: room?.stage() ?? [],
      viewers: await ctx.presence.countViewers(record.id),
      restreams: await restreams(record.id),
      links: roomLinks(publicBase(links, rc), record),
    };
    sendJson(rc.res, 200, body);
  });

  router.add('POST', '/api/rooms/:id/tokens', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    const { role, name, ttlSeconds } = parse(createTokenSchema, await readJson(rc.req));
    const gen = await ctx.store.generation(record.id, linkOf(role));
    const { token } = await ctx.tokens.sign({ roomId: record.id, role, name, gen, ttlSeconds });
    sendJson(rc.res, 201, { token });
  });

  router.add('DELETE', '/api/rooms/:id', async (rc) => {
    await access.requireSecret(rc);
    const record = await access.requireRoom(rc.params.id);
    await onDeleted(record.id);
    await ctx.store.delete(record.id);
    await ctx.presence.clearRoom(record.id);
    // Reaches connections on every ingest process through the adapter.
    ctx.io
      .in(channels.room(record.id))
      .emit('room:closed', { reason: 'deleted', message: 'The host closed this room' });
    ctx.io.in(channels.room(record.id)).disconnectSockets(true);
    ctx.rooms.get(record.id)?.close('deleted');
    // Last, once the features stopped writing: whatever is left of the room in Redis, its files.
    await purge.purge(record.id);
    ctx.webhooks.emit('room.deleted', { roomId: record.id });
    rc.res.writeHead(204).end();
  });

  router.add('POST', '/api/join', async (rc) => {
    // Counted before anything is read: a flood costs no more than this.
    const ip = clientIp(rc.req, links.trustProxy);
    await ctx.limits.consume('join', ip);
    const { code, name } = parse(joinSchema, await readJson(rc.req));
    const resolved = await ctx.store.resolveCode(code);
    const record = resolved && (await ctx.store.get(resolved.roomId));
    if (!resolved || !record)
      throw new StagecastError('NOT_FOUND', 'This link is not valid; ask the host for a new one');
    let peerId: string | undefined;
    if (resolved.role === 'viewer') {
      const pinned = identity.read(rc.req, record.id);
      await refuseBannedViewer(ctx.bans, record.id, pinned, ip);
      const person = pinned ?? identity.create();
      peerId = person.peerId;
      rc.res.setHeader('set-cookie', identity.header(record.id, person, isHttps(links, rc)));
    }
    const { token } = await ctx.tokens.sign({
      roomId: record.id,
      role: resolved.role,
      name,
      gen: resolved.gen,
      peerId,
    });
    const body: JoinResponse = { token, role: resolved.role, roomId: record.id, roomName: record.name };
    sendJson(rc.res, 200, body);
  });
}

/**
 * The viewer link's ban check: the identity the browser carries, else its address. An address
 * someone was banned from refuses new identities (a cleared cookie, another browser) but not
 * those given before that ban: others behind the same NAT who were already watching (a school,
 * an office, a mobile carrier) keep their place. Hosts and co-hosts join through their own
 * links, which are never refused by address.
 */
async function refuseBannedViewer(
  bans: BanStore,
  roomId: string,
  pinned: ViewerIdentity | null,
  ip: string,
): Promise<void> {
  if (pinned && (await bans.isBanned(roomId, pinned.peerId))) {
    throw new StagecastError('BANNED', 'You were removed from this room');
  }
  const addressBannedAt = await bans.addressBannedAt(roomId, ip);
  if (addressBannedAt !== null && (!pinned || pinned.issuedAt >= addressBannedAt)) {
    throw new StagecastError('BANNED', 'Someone was removed from this room from your network');
  }
}

function isHttps(links: LinkBase, rc: RequestContext): boolean {
  return links.publicUrl
    ? links.publicUrl.startsWith('https:')
    : rc.req.headers['x-forwarded-proto'] === 'https';
}
