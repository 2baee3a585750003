import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { hlsLayout, isSafeId, StagecastError } from '@stagecast/protocol';
import { clientIp } from '../core/RateLimits.js';
import type { RequestContext, Router } from '../http/router.js';
import { CONTENT_TYPES, notFound, sendFile } from '../http/staticFiles.js';
import type { HlsOrigin, PlaylistAnswer } from './HlsOrigin.js';
import { parseDeliveryDirectives } from './deliveryDirectives.js';

const CORS = { 'access-control-allow-origin': '*' };
/** Parts and segments never change once written: their names carry the broadcast and sequence. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** `<rung>/index.m3u8`: a live media playlist, answered from memory. */
const MEDIA_PLAYLIST = new RegExp(`^([A-Za-z0-9_-]{1,64})/${hlsLayout.media.replace('.', '\\.')}$`);
/** `<rung>/<file>`: a file a preload hint may name before it exists. */
const RUNG_FILE = /^([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-][A-Za-z0-9_.-]{0,127})$/;

function fileHeaders(rest: string): Record<string, string> {
  // A playlist on disk (master, recordings) changes while live; anything else never does.
  return { ...CORS, 'cache-control': rest.endsWith('.m3u8') ? 'no-cache' : IMMUTABLE };
}

/**
 * A blocking answer's URL is unique to what it waited for and stays a right answer to it, so
 * a cache may keep it for a few target durations and answer the crowd asking the same. A plain
 * reload must always reach the origin: it asks for the newest playlist.
 */
function playlistCacheControl(answer: PlaylistAnswer): string {
  return answer.blocking ? `public, max-age=${Math.ceil(3 * answer.targetDuration)}` : 'no-cache';
}

/** Aborted when the client goes away, so a held request is dropped at once. */
function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}

/** The HLS origin: live (LL-HLS from memory) and recordings, as the protocol's `hlsLayout` lays them out. */
export function registerHlsRoutes(
  router: Router,
  origin: HlsOrigin,
  dataDir: string,
  trustProxy: number,
): void {
  router.add('GET', `/${hlsLayout.liveRoot}/:roomId/*`, async (rc: RequestContext) => {
    const { req, res, params, url } = rc;
    const roomId = params.roomId ?? '';
    if (!isSafeId(roomId)) throw notFound();
    const rest = params.rest ?? '';
    const head = req.method === 'HEAD';
    const ip = clientIp(req, trustProxy);
    const media = MEDIA_PLAYLIST.exec(rest);
    if (media?.[1] !== undefined) {
      const directives = parseDeliveryDirectives(url.searchParams);
      const answer = await origin.answer(roomId, media[1], directives, ip, abortOnClose(res));
      if (answer === 'aborted') return;
      const body = answer.body;
      res.writeHead(200, {
        'content-type': CONTENT_TYPES['.m3u8'] ?? 'application/vnd.apple.mpegurl',
        'content-length': String(body.length),
        'cache-control': playlistCacheControl(answer),
        ...CORS,
      });
      res.end(head ? undefined : body);
      return;
    }
    const base = join(dataDir, hlsLayout.liveDir(roomId));
    try {
      await sendFile(res, base, rest, fileHeaders(rest), head);
    } catch (error) {
      const part = RUNG_FILE.exec(rest);
      if (!(error instanceof StagecastError) || error.code !== 'NOT_FOUND' || !part?.[1] || !part[2])
        throw error;
      const held = await origin.awaitHintedPart(roomId, part[1], part[2], ip, abortOnClose(res));
      if (held === 'aborted') return;
      if (!held) throw error;
      await sendFile(res, base, rest, fileHeaders(rest), head);
    }
  });
  router.add('GET', `/${hlsLayout.recordingsRoot}/:roomId/:broadcastId/*`, async ({ req, res, params }) => {
    const roomId = params.roomId ?? '';
    const broadcastId = params.broadcastId ?? '';
    if (!isSafeId(roomId) || !isSafeId(broadcastId)) throw notFound();
    const rest = params.rest ?? '';
    const base = join(dataDir, hlsLayout.recordingDir(roomId, broadcastId));
    await sendFile(res, base, rest, fileHeaders(rest), req.method === 'HEAD');
  });
  // Players on any site may fetch live and recorded HLS; nothing there needs credentials.
  for (const root of [hlsLayout.liveRoot, hlsLayout.recordingsRoot]) {
    router.add('OPTIONS', `/${root}/*`, ({ res }) => {
      res
        .writeHead(204, {
          ...CORS,
          'access-control-allow-methods': 'GET, HEAD',
          'access-control-max-age': '86400',
        })
        .end();
    });
  }
}
