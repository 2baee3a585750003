import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { connect, StagecastClientError } from '@stagecast/sdk';
import type { RoomInfo } from '@stagecast/protocol';
import { TestIngest, TEST_SECRET } from './helpers/servers.js';
import { roomTokenKey, signToken } from './helpers/identity.js';

let ingest: TestIngest;
beforeAll(async () => {
  ingest = await TestIngest.start();
});
afterAll(async () => {
  await ingest?.close();
});

async function connectError(token: string): Promise<string> {
  try {
    const room = await connect({ url: ingest.url, token, reconnect: false });
    room.close();
    return 'connected';
  } catch (error) {
    return error instanceof StagecastClientError ? error.code : String(error);
  }
}

describe('REST API', () => {
  it('creates, reads and deletes a room', async () => {
    const created = await ingest.createRoom('Weekly webinar');
    expect(created.name).toBe('Weekly webinar');
    expect(created.links.host).toMatch(/\/host\/[\w-]{20,}$/);
    expect(created.links.viewer).toMatch(/\/watch\/[\w-]{20,}$/);
    expect(new Set(Object.values(created.links)).size).toBe(3);

    const info = await ingest.api<RoomInfo>('GET', `/api/rooms/${created.id}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      id: created.id,
      name: 'Weekly webinar',
      stage: [],
      viewers: 0,
      live: { state: 'idle' },
    });

    expect((await ingest.api('DELETE', `/api/rooms/${created.id}`)).status).toBe(204);
    const gone = await ingest.api<{ error: { code: string } }>('GET', `/api/rooms/${created.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('ROOM_NOT_FOUND');
  });

  it('refuses management calls without the secret', async () => {
    const res = await ingest.api<{ error: { code: string } }>(
      'POST',
      '/api/rooms',
      { name: 'x' },
      'wrong-secret',
    );
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('validates bodies with a clear error and creates nothing', async () => {
    const before = (await ingest.api<{ rooms: unknown[] }>('GET', '/api/rooms')).body.rooms.length;
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(65) }, { name: 42 }]) {
      const res = await ingest.api<{ error: { code: string; message: string } }>('POST', '/api/rooms', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
      expect(res.body.error.message).toMatch(/name/);
    }
    const raw = await fetch(`${ingest.url}/api/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_SECRET}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(raw.status).toBe(400);
    const huge = await fetch(`${ingest.url}/api/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(100_000) }),
    });
    expect(huge.status).toBe(413);
    const after = (await ingest.api<{ rooms: unknown[] }>('GET', '/api/rooms')).body.rooms.length;
    expect(after).toBe(before);
  });

  it('turns a role link into a token with that role', async () => {
    const room = await ingest.createRoom();
    for (const [role, link] of Object.entries(room.links) as [string, string][]) {
      const code = link.split('/').pop();
      const res = await fetch(`${ingest.url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, name: 'Ada' }),
      });
      const body = (await res.json()) as { role: string; roomId: string; token: string };
      expect(res.status).toBe(200);
      expect(body.role).toBe(role === 'cohost' ? 'cohost' : role);
      expect(body.roomId).toBe(room.id);
      const client = await connect({ url: ingest.url, token: body.token, reconnect: false });
      expect(client.self.role).toBe(body.role);
      client.close();
    }
    const bad = await fetch(`${ingest.url}/api/join`, {
      method: 'POST',
      body: JSON.stringify({ code: 'nope', name: 'x' }),
    });
    expect(bad.status).toBe(404);
  });

  it('rejects tokens with a bad signature, expired or for another room', async () => {
    const room = await ingest.createRoom();
    const other = await ingest.createRoom();
    const good = await ingest.token(room.id, 'host', 'Host');
    expect(await connectError(good)).toBe('connected');

    const forged = await new SignJWT({ room: room.id, role: 'host', name: 'Mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('p1')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-secret'));
    expect(await connectError(forged)).toBe('TOKEN_INVALID');

    const expired = await signToken(
      roomTokenKey(),
      { room: room.id, role: 'host', name: 'Late', sub: 'p2' },
      Math.floor(Date.now() / 1000) - 60,
    );
    expect(await connectError(expired)).toBe('TOKEN_EXPIRED');

    expect(await connectError('garbage')).toBe('TOKEN_INVALID');

    const wrongRoom = await connect({
      url: ingest.url,
      token: good,
      roomId: other.id,
      reconnect: false,
    }).then(
      (c) => (c.close(), 'connected'),
      (e: unknown) => (e instanceof StagecastClientError ? e.code : String(e)),
    );
    expect(wrongRoom).toBe('WRONG_ROOM');

    await ingest.api('DELETE', `/api/rooms/${other.id}`);
    const forDeleted = await signToken(roomTokenKey(), {
      room: other.id,
      role: 'host',
      name: 'Gone',
      sub: 'p3',
    });
    expect(await connectError(forDeleted)).toBe('ROOM_NOT_FOUND');
  });

  it('serves health and Prometheus metrics', async () => {
    const health = await fetch(`${ingest.url}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (
      await fetch(`${ingest.url}/metrics`, { headers: { authorization: `Bearer ${TEST_SECRET}` } })
    ).text();
    for (const name of [
      'stagecast_rooms',
      'stagecast_peers',
      'stagecast_producers',
      'stagecast_consumers',
      'stagecast_mediasoup_workers',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics).toContain(name);
    }
  });

  it('never serves files outside the HLS directory', async () => {
    for (const path of [
      '/hls/../package.json',
      '/hls/abc/..%2F..%2Fpackage.json',
      '/hls/abc/%2e%2e/%2e%2e/package.json',
      '/vod/a/b/../../../package.json',
      '/hls/abc/.hidden',
    ]) {
      const res = await fetch(ingest.url + path);
      expect(res.status, path).toBe(404);
    }
  });
});
