import type { IncomingMessage, ServerResponse } from 'node:http';
import { StagecastError } from '@stagecast/protocol';
import { clientIp, type RateLimits } from '../../core/RateLimits.js';
import { entityId } from '../../core/ids.js';
import { parse } from '../../core/validation.js';
import { readText, type RequestContext, type Router } from '../../http/router.js';
import type { WhipService } from './WhipService.js';

const SDP = 'application/sdp';
const SDP_FRAGMENT = 'application/trickle-ice-sdpfrag';
const ENDPOINT_METHODS = 'OPTIONS, POST';
const RESOURCE_METHODS = 'OPTIONS, PATCH, DELETE';

/**
 * WHIP (RFC 9725): `POST /whip/:room` with a room token and an SDP offer, then `PATCH` and
 * `DELETE` on the resource it answers in `Location`. Publishers are often pages of other
 * origins (or OBS): the token is a bearer header, never a cookie, so any origin may call.
 */
export function registerWhipRoutes(
  router: Router,
  whip: WhipService,
  limits: RateLimits,
  trustProxy: number,
): void {
  router.add('OPTIONS', '/whip/:room', ({ res }) => preflight(res, ENDPOINT_METHODS));
  router.add('OPTIONS', '/whip/:room/:resource', ({ res }) => preflight(res, RESOURCE_METHODS));

  router.add('POST', '/whip/:room', async (rc) => {
    cors(rc.res);
    // Counted before the token is read, like Socket.IO connections: a flood of bad tokens too.
    await limits.consume('connect', clientIp(rc.req, trustProxy));
    const roomId = parse(entityId, rc.params.room);
    const token = bearer(rc);
    const claims = await authenticated(rc, () => whip.authorize(roomId, token));
    requireType(rc.req, SDP);
    const offer = await readText(rc.req);
    const published = await whip.publish(claims, token ?? '', offer);
    rc.res.writeHead(201, {
      'content-type': SDP,
      location: `/whip/${encodeURIComponent(roomId)}/${published.resourceId}`,
      etag: published.etag,
      'accept-patch': SDP_FRAGMENT,
      'cache-control': 'no-store',
    });
    rc.res.end(published.answer);
  });

  router.add('DELETE', '/whip/:room/:resource', async (rc) => {
    cors(rc.res);
    const roomId = parse(entityId, rc.params.room);
    const resourceId = parse(entityId, rc.params.resource);
    await authenticated(rc, () => whip.remove(roomId, resourceId, bearer(rc)));
    rc.res.writeHead(200, { 'cache-control': 'no-store' });
    rc.res.end();
  });

  router.add('PATCH', '/whip/:room/:resource', async (rc) => {
    cors(rc.res);
    const roomId = parse(entityId, rc.params.room);
    const resourceId = parse(entityId, rc.params.resource);
    const token = bearer(rc);
    requireType(rc.req, SDP_FRAGMENT);
    const fragment = await readText(rc.req);
    const ifMatch = rc.req.headers['if-match'];
    const patched = await authenticated(rc, () => whip.patch(roomId, resourceId, token, ifMatch, fragment));
    if (!patched.restarted) {
      rc.res.writeHead(204);
      rc.res.end();
      return;
    }
    rc.res.writeHead(200, { 'content-type': SDP_FRAGMENT, etag: patched.etag, 'cache-control': 'no-store' });
    rc.res.end(patched.fragment);
  });
}

function bearer({ req }: RequestContext): string | undefined {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** Token refusals carry the challenge RFC 6750 asks for. */
async function authenticated<T>(rc: RequestContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (
      error instanceof StagecastError &&
      (error.code === 'TOKEN_INVALID' || error.code === 'TOKEN_EXPIRED' || error.code === 'UNAUTHORIZED')
    )
      rc.res.setHeader('www-authenticate', 'Bearer realm="stagecast"');
    throw error;
  }
}

function requireType(req: IncomingMessage, type: string): void {
  const given = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (given !== type) throw new StagecastError('UNSUPPORTED_MEDIA_TYPE', `Send the body as ${type}`);
}

function cors(res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', 'Location, ETag, Accept-Patch, Link');
}

/** CORS preflight (RFC 9725 §4.2: OPTIONS may also be sent by any client, so it answers Allow). */
function preflight(res: ServerResponse, methods: string): void {
  cors(res);
  res.writeHead(204, {
    allow: methods,
    'access-control-allow-methods': methods,
    'access-control-allow-headers': 'Authorization, Content-Type, If-Match',
    'access-control-max-age': '600',
    'accept-post': SDP,
  });
  res.end();
}
