import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { connect } from '@stagecast/sdk';
import type { CreateRoomResponse } from '@stagecast/protocol';
import { TestIngest } from './helpers/servers.js';
import { rawRequest } from './helpers/rawHttp.js';

const EVIL = 'https://evil.example';
const STUDIO = 'https://studio.example.com';

let ingest: TestIngest;
let configured: TestIngest;
let room: CreateRoomResponse;
const code = (link: string) => link.slice(link.lastIndexOf('/') + 1);

beforeAll(async () => {
  ingest = await TestIngest.start();
  configured = await TestIngest.start({
    allowedOrigins: [STUDIO],
    frameAncestors: "'self' https://blog.example.com",
  });
  room = await ingest.createRoom('Origins');
});
afterAll(async () => {
  await ingest?.api('DELETE', `/api/rooms/${room.id}`);
  await ingest?.close();
  await configured?.close();
});

/** Opens a Socket.IO connection sending `origin`, as a browser page of that origin would. */
async function handshake(
  server: TestIngest,
  roomId: string,
  origin: string | undefined,
  token: string,
): Promise<string> {
  const socket = io(server.url, {
    auth: { token, roomId },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: origin ? { origin } : {},
  });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', () => resolve('refused'));
    });
  } finally {
    socket.close();
  }
}

describe('allowed origins', () => {
  it('refuses Socket.IO handshakes from other origins, and allows the listen origin and no Origin', async () => {
    const token = await ingest.token(room.id, 'viewer', 'Viewer');
    expect(await handshake(ingest, room.id, EVIL, token)).toBe('refused');
    expect(await handshake(ingest, room.id, new URL(ingest.url).origin, token)).toBe('connected');
    expect(await handshake(ingest, room.id, undefined, token)).toBe('connected');
    // The long-polling transport is held to the same rule, and no origin is reflected.
    const polling = await rawRequest(ingest.url, {
      target: '/socket.io/?EIO=4&transport=polling',
      headers: { origin: EVIL },
    });
    expect(polling.status).toBe(403);
    expect(polling.headers['access-control-allow-origin']).toBeUndefined();
    // A Node client (the SDK outside a browser) still joins.
    const client = await connect({ url: ingest.url, token, reconnect: false });
    client.close();
  });

  it('answers CORS on /api only for allowed origins', async () => {
    const preflight = (origin: string) =>
      rawRequest(ingest.url, {
        method: 'OPTIONS',
        target: '/api/join',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const refused = await preflight(EVIL);
    expect([refused.status, refused.code]).toEqual([403, 'FORBIDDEN']);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const own = new URL(ingest.url).origin;
    const allowed = await preflight(own);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(own);

    const join = (origin?: string) =>
      rawRequest(ingest.url, {
        method: 'POST',
        target: '/api/join',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: JSON.stringify({ code: code(room.links.viewer), name: 'Guest' }),
      });
    expect((await join(EVIL)).code).toBe('FORBIDDEN');
    // A path that only becomes /api/ once normalised is held to the same rule.
    const dotted = await rawRequest(ingest.url, {
      method: 'POST',
      target: '/app/../api/join',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ code: code(room.links.viewer), name: 'Guest' }),
    });
    expect([dotted.status, dotted.code]).toEqual([403, 'FORBIDDEN']);
    expect((await join(own)).headers['access-control-allow-origin']).toBe(own);
    expect((await join()).status).toBe(200);
  });

  it('follows STAGECAST_ALLOWED_ORIGINS when it is set', async () => {
    const other = await configured.createRoom('Configured');
    const token = await configured.token(other.id, 'viewer', 'Viewer');
    const socket = (origin: string) => handshake(configured, other.id, origin, token);
    expect(await socket(STUDIO)).toBe('connected');
    expect(await socket(new URL(configured.url).origin)).toBe('refused');
    const preflight = await rawRequest(configured.url, {
      method: 'OPTIONS',
      target: '/api/join',
      headers: { origin: STUDIO, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBe(STUDIO);
    await configured.api('DELETE', `/api/rooms/${other.id}`);
  });

  it('keeps HLS open to every origin', async () => {
    const dir = join(ingest.dataDir, 'hls', room.id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'master.m3u8'), '#EXTM3U\n');
    const playlist = await rawRequest(ingest.url, {
      target: `/hls/${room.id}/master.m3u8`,
      headers: { origin: EVIL },
    });
    expect(playlist.status).toBe(200);
    expect(playlist.headers['access-control-allow-origin']).toBe('*');
    for (const target of [`/hls/${room.id}/master.m3u8`, `/vod/${room.id}/b1/master.m3u8`]) {
      const preflight = await rawRequest(ingest.url, {
        method: 'OPTIONS',
        target,
        headers: { origin: EVIL },
      });
      expect([target, preflight.status, preflight.headers['access-control-allow-origin']]).toEqual([
        target,
        204,
        '*',
      ]);
    }
  });
});

describe('app pages', () => {
  it('send a Content-Security-Policy whose frame-ancestors is the setting and whose connect-src adds the allowed origins', async () => {
    for (const link of [room.links.host, room.links.viewer]) {
      const path = new URL(link).pathname;
      const page = await rawRequest(ingest.url, { target: path });
      expect(page.status).toBe(200);
      const csp = page.headers['content-security-policy'] ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).toContain("connect-src 'self';");
      expect(page.headers['referrer-policy']).toBe('no-referrer');
    }
    const embed = await rawRequest(configured.url, { target: '/embed/watch/some-code' });
    expect(embed.headers['content-security-policy']).toContain(
      "frame-ancestors 'self' https://blog.example.com",
    );
    // The allowed origins may be other ingest processes a page is sent to (the room's stage).
    expect(embed.headers['content-security-policy']).toContain(
      `connect-src 'self' ${STUDIO} ${STUDIO.replace('https:', 'wss:')};`,
    );
  });
});
