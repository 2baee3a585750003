import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RoomInfo, StagePeer } from '@stagecast/protocol';
import { ModerationClient, type Room } from '@stagecast/sdk';
import { launchChromium, newPage } from './helpers/chromium.js';
import { TestIngest, waitFor } from './helpers/servers.js';
import { connectionState, publish } from './helpers/whip.js';

/*
 * WHIP ingest (RFC 9725) against a real ingest, mediasoup and Redis: a WHIP client written in
 * a Chromium page (RTCPeerConnection with the fake camera and microphone, and fetch) publishes,
 * ICE and DTLS connect, and the publisher is a stage participant for a host's Socket.IO
 * client; DELETE (or a host) removes it. Refusals are checked to leave mediasoup untouched.
 */

let ingest: TestIngest;
let browser: Browser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  ingest = await TestIngest.start();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
}, 60_000);

async function join(roomId: string, role: 'host' | 'cohost', name: string): Promise<Room> {
  const room = await ingest.join(roomId, role, name);
  cleanups.push(() => room.close());
  return room;
}

async function restStage(roomId: string): Promise<StagePeer[]> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body.stage;
}

/** Bytes mediasoup received on the participant's producers (the media really flows). */
async function bytesReceived(roomId: string, peerId: string): Promise<number[]> {
  const peer = ingest.server.ctx.rooms.get(roomId)?.peers.get(peerId);
  if (!peer) return [];
  const stats = await Promise.all([...peer.producers.values()].map((p) => p.getStats()));
  return stats.map((s) => s.reduce((n, entry) => n + entry.byteCount, 0));
}

async function whipFetch(
  path: string,
  init: { method: string; token?: string; type?: string; body?: string },
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.type) headers['content-type'] = init.type;
  return fetch(ingest.url + path, { method: init.method, headers, body: init.body });
}

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe('whip ingest', () => {
  it(
    'a Chromium WHIP client publishes onto the stage; DELETE removes it and its producers',
    { timeout: 120_000 },
    async () => {
      const { id } = await ingest.createRoom('WHIP webinar');
      const host = await join(id, 'host', 'Hanna Host');
      const page = await newPage(browser, cleanups);
      // A page served by the ingest: the endpoint allows every origin, and this one loads quickly.
      await page.goto(`${ingest.url}/healthz`);
      const token = await ingest.token(id, 'cohost', 'Wendy WHIP');
      const published = await publish(page, `${ingest.url}/whip/${id}`, token);
      expect(published.error).toBeUndefined();
      expect(published.status).toBe(201);
      expect(published.contentType).toBe('application/sdp');
      expect(published.location).toMatch(new RegExp(`^/whip/${id}/[A-Za-z0-9_-]{20,}$`));
      expect(published.etag).toBeTruthy();
      await waitFor(
        async () => (await connectionState(page)) === 'connected',
        'ICE and DTLS connected',
        30_000,
      );

      // On stage for the host's Socket.IO client, with both producers, backstage (a guest's entry).
      const onStage = await waitFor(
        () => host.stage.find((p) => p.name === 'Wendy WHIP' && p.producers.length === 2),
        'the WHIP publisher on stage with camera and mic',
      );
      expect(onStage.role).toBe('guest');
      expect(onStage.onAir).toBe(false);
      expect(onStage.producers.map((p) => p.source).sort()).toEqual(['camera', 'mic']);
      await waitFor(
        async () => (await bytesReceived(id, onStage.peerId)).every((n) => n > 0),
        'RTP received on both producers',
        30_000,
      );
      // Hosts put it on air like anyone else.
      const moderation = new ModerationClient(host);
      cleanups.push(() => moderation.close());
      await moderation.setOnAir(onStage.peerId, true);
      await waitFor(() => host.stage.find((p) => p.peerId === onStage.peerId)?.onAir, 'the publisher on air');

      const location = published.location ?? '';
      // PATCH: trickled candidates need nothing (ICE-lite); an ICE restart answers new credentials.
      const frag = 'application/trickle-ice-sdpfrag';
      const trickle = await whipFetch(location, {
        method: 'PATCH',
        token,
        type: frag,
        body: 'a=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n',
      });
      expect(trickle.status).toBe(204);
      const restart =
        'a=ice-ufrag:r3st\r\na=ice-pwd:restartpasswordrestartpw\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n';
      const stale = await fetch(ingest.url + location, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': frag, 'if-match': '"stale"' },
        body: restart,
      });
      expect(stale.status).toBe(412);
      const restarted = await fetch(ingest.url + location, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': frag, 'if-match': published.etag ?? '' },
        body: restart,
      });
      expect(restarted.status).toBe(200);
      expect(restarted.headers.get('etag')).not.toBe(published.etag);
      expect(await restarted.text()).toMatch(/a=ice-ufrag:\S+\r\na=ice-pwd:\S+/);
      // Only the token that created the resource deletes it.
      expect((await whipFetch(location, { method: 'DELETE' })).status).toBe(401);
      const other = await ingest.token(id, 'cohost', 'Someone Else');
      expect((await whipFetch(location, { method: 'DELETE', token: other })).status).toBe(403);
      expect(host.stage.some((p) => p.peerId === onStage.peerId)).toBe(true);

      const deleted = await whipFetch(location, { method: 'DELETE', token });
      expect(deleted.status).toBe(200);
      await waitFor(
        () => !host.stage.some((p) => p.peerId === onStage.peerId),
        'the publisher off the stage',
      );
      expect((await restStage(id)).some((p) => p.peerId === onStage.peerId)).toBe(false);
      expect(ingest.server.ctx.rooms.get(id)?.findProducer(onStage.producers[0]?.id ?? '')).toBeUndefined();
      expect(ingest.server.ctx.rooms.get(id)?.peers.has(onStage.peerId)).toBe(false);
      expect((await whipFetch(location, { method: 'DELETE', token })).status).toBe(404);
    },
  );

  it(
    'a host moving the WHIP publisher off the stage, or banning it, ends its resource',
    { timeout: 120_000 },
    async () => {
      const { id } = await ingest.createRoom('WHIP removal');
      const host = await join(id, 'host', 'Hanna Host');
      const page = await newPage(browser, cleanups);
      await page.goto(`${ingest.url}/healthz`);
      const token = await ingest.token(id, 'guest', 'Gwen WHIP');
      const published = await publish(page, `${ingest.url}/whip/${id}`, token);
      expect(published.status).toBe(201);
      const peer = await waitFor(
        () => host.stage.find((p) => p.name === 'Gwen WHIP' && p.producers.length === 2),
        'the WHIP publisher on stage',
      );
      await host.request('stage:demote', { peerId: peer.peerId });
      await waitFor(() => !host.stage.some((p) => p.peerId === peer.peerId), 'the publisher off the stage');
      await waitFor(
        async () => (await whipFetch(published.location ?? '', { method: 'DELETE', token })).status === 404,
        'the WHIP resource gone',
      );
      expect(ingest.server.ctx.rooms.get(id)?.peers.has(peer.peerId)).toBe(false);

      // The encoder retrying with the same token is refused: a host took it off.
      const retried = await publish(page, `${ingest.url}/whip/${id}`, token);
      expect(retried.status).toBe(403);
      // A ban (which disconnects people) takes a publisher without a connection out as well.
      const newToken = await ingest.token(id, 'guest', 'Gwen WHIP');
      const again = await publish(page, `${ingest.url}/whip/${id}`, newToken);
      expect(again.status).toBe(201);
      const back = await waitFor(
        () => host.stage.find((p) => p.name === 'Gwen WHIP' && p.producers.length === 2),
        'the WHIP publisher on stage again',
      );
      await host.request('room:ban', { peerId: back.peerId });
      await waitFor(
        () => !host.stage.some((p) => p.peerId === back.peerId),
        'the banned publisher off the stage',
      );
      expect((await restStage(id)).some((p) => p.peerId === back.peerId)).toBe(false);
      expect((await whipFetch(again.location ?? '', { method: 'DELETE', token: newToken })).status).toBe(404);
    },
  );

  it('deleting the room ends its WHIP publishers', { timeout: 120_000 }, async () => {
    const { id } = await ingest.createRoom('WHIP room deleted');
    const page = await newPage(browser, cleanups);
    await page.goto(`${ingest.url}/healthz`);
    const token = await ingest.token(id, 'guest', 'Dora WHIP');
    const published = await publish(page, `${ingest.url}/whip/${id}`, token);
    expect(published.status).toBe(201);
    const peerId = await waitFor(
      () =>
        [...(ingest.server.ctx.rooms.get(id)?.peers.values() ?? [])].find((p) => p.name === 'Dora WHIP')?.id,
      'the WHIP publisher in the room',
    );
    expect((await ingest.api('DELETE', `/api/rooms/${id}`)).status).toBe(204);
    await waitFor(() => ingest.server.ctx.rooms.get(id) === undefined, 'the room closed');
    await waitFor(
      async () => (await whipFetch(published.location ?? '', { method: 'DELETE', token })).status === 404,
      'the WHIP resource gone',
    );
    expect(peerId).toMatch(/^ingress-/);
  });

  it('whip respects the stage cap (STAGE_FULL)', { timeout: 60_000 }, async () => {
    const small = await TestIngest.start({ maxStage: 1 });
    cleanups.push(() => small.close());
    const { id } = await small.createRoom('Full stage');
    const hostRoom = await small.join(id, 'host', 'Hanna Host');
    cleanups.push(() => hostRoom.close());
    const token = await small.token(id, 'guest', 'Too Many');
    const page = await newPage(browser, cleanups);
    await page.goto(`${small.url}/healthz`);
    const refused = await publish(page, `${small.url}/whip/${id}`, token);
    expect(refused.status).toBe(409);
    expect(refused.error).toContain('STAGE_FULL');
    expect(hostRoom.stage.map((p) => p.name)).toEqual(['Hanna Host']);
  });

  it('whip refusals: 401 without or with a bad token (mediasoup untouched), 415, 403 for viewers, OPTIONS', async () => {
    const { id } = await ingest.createRoom('WHIP refusals');
    const endpoint = `/whip/${id}`;
    const noToken = await whipFetch(endpoint, { method: 'POST', type: 'application/sdp', body: OFFER });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const badToken = await whipFetch(endpoint, {
      method: 'POST',
      token: 'not-a-token',
      type: 'application/sdp',
      body: OFFER,
    });
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await badToken.json()) as { error: { code: string } }).error.code).toBe('TOKEN_INVALID');
    // Nothing reached mediasoup: no live room, so no router and no transport.
    expect(ingest.server.ctx.rooms.get(id)).toBeUndefined();

    const cohost = await ingest.token(id, 'cohost', 'Cora');
    const wrongType = await whipFetch(endpoint, {
      method: 'POST',
      token: cohost,
      type: 'text/plain',
      body: OFFER,
    });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as { error: { code: string } }).error.code).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );

    const viewer = await ingest.token(id, 'viewer', 'Vera');
    const forbidden = await whipFetch(endpoint, {
      method: 'POST',
      token: viewer,
      type: 'application/sdp',
      body: OFFER,
    });
    expect(forbidden.status).toBe(403);
    expect(ingest.server.ctx.rooms.get(id)).toBeUndefined();

    // An offer without media the stage takes: a clear 4xx, and nobody on stage.
    const noMedia = await whipFetch(endpoint, {
      method: 'POST',
      token: cohost,
      type: 'application/sdp',
      body: OFFER,
    });
    expect(noMedia.status).toBe(400);
    expect(await restStage(id)).toEqual([]);

    const tooLarge = await whipFetch(endpoint, {
      method: 'POST',
      token: cohost,
      type: 'application/sdp',
      body: OFFER + 'a=x:'.padEnd(20_000, 'y') + '\r\n',
    });
    expect(tooLarge.status).toBe(413);

    const preflight = await fetch(ingest.url + endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'https://obs.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });
});
