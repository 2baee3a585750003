import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { loadConfig } from '@stagecast/ingest';
import type { AckResult, RotateLinkResponse } from '@stagecast/protocol';
import { connect, StagecastClientError, type Room } from '@stagecast/sdk';
import { ownRedisDatabase, TestIngest, TEST_SECRET, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { RawClient } from './helpers/rawClient.js';
import { connectFrom, linkCode, openLink, roomTokenKey, signToken } from './helpers/identity.js';

const opened: TestIngest[] = [];
const clients: { close(): void }[] = [];
let a: TestIngest;
let b: TestIngest;

beforeAll(async () => {
  const redisUrl = await ownRedisDatabase(8);
  const defaults = loadConfig({ STAGECAST_API_SECRET: TEST_SECRET });
  const config = { redisUrl, limits: { ...defaults.limits, trustProxy: 1 } };
  [a, b] = await Promise.all([TestIngest.start(config), TestIngest.start(config)]);
  opened.push(a, b);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(opened.map((server) => server.close()));
});

async function connected(server: TestIngest, token: string, roomId: string): Promise<RawClient> {
  const client = await connectFrom(server.url, token, roomId, '10.8.0.1');
  if (typeof client === 'string') throw new Error(`connection refused: ${client}`);
  clients.push(client);
  return client;
}

async function viaLink(server: TestIngest, link: string, name: string): Promise<{ token: string }> {
  const joined = await openLink(server.url, linkCode(link), name, { ip: '10.8.0.1' });
  if (!joined.token) throw new Error(`join refused: ${joined.status} ${joined.code ?? ''}`);
  return { token: joined.token };
}

const code = (result: AckResult<unknown>) => (result.ok ? 'ok' : result.error.code);

async function sdkOutcome(server: TestIngest, token: string): Promise<string> {
  try {
    const room = await connect({ url: server.url, token, reconnect: false });
    room.close();
    return 'connected';
  } catch (error) {
    return error instanceof StagecastClientError ? error.code : String(error);
  }
}

describe('role links', () => {
  it('rotating the viewer link refuses the old link and its tokens, closes its sockets everywhere, and the new link works', async () => {
    const room = await a.createRoom('Rotate');
    const host = await connected(a, await a.token(room.id, 'host', 'Host'), room.id);
    const { token: oldToken } = await viaLink(b, room.links.viewer, 'Early');
    const early = await connected(b, oldToken, room.id);
    const restToken = await a.token(room.id, 'viewer', 'Api viewer');
    const apiViewer = await connected(a, restToken, room.id);
    const closed = [early.record('room:closed'), apiViewer.record('room:closed')];
    const viewerLinks = host.record('room:viewerLink');

    const rotated = await a.api<RotateLinkResponse>('POST', `/api/rooms/${room.id}/links/viewer`);
    expect(rotated.status).toBe(200);
    const { links } = rotated.body;
    expect(links.viewer).not.toBe(room.links.viewer);
    expect([links.host, links.cohost]).toEqual([room.links.host, room.links.cohost]);

    // Everyone who came through the old generation goes, on both processes, and is told why.
    await waitFor(
      () => closed.every((c) => c[0]?.reason === 'link-rotated') && !early.socket.connected,
      'the old link sockets to close',
    );
    expect(apiViewer.socket.connected).toBe(false);
    expect(host.socket.connected).toBe(true);
    await waitFor(() => viewerLinks[0]?.link === links.viewer, 'the host to get the new viewer link');

    const oldLink = await openLink(b.url, linkCode(room.links.viewer), 'Late', { ip: '10.8.0.2' });
    expect(oldLink).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    for (const server of [a, b]) {
      expect(await connectFrom(server.url, oldToken, room.id, '10.8.0.2')).toBe('LINK_REVOKED');
      expect(await connectFrom(server.url, restToken, room.id, '10.8.0.2')).toBe('LINK_REVOKED');
    }
    const fresh = await connected(b, (await viaLink(b, links.viewer, 'Fresh')).token, room.id);
    expect(fresh.snapshot.self.role).toBe('viewer');
    const got = await a.api<{ links: RotateLinkResponse['links'] }>('GET', `/api/rooms/${room.id}`);
    expect(got.body.links).toEqual(links);
  });

  it('hosts rotate the co-host link from the host app; co-hosts and viewers cannot', async () => {
    const room = await a.createRoom('Rotate co-host');
    const host = await connected(a, (await viaLink(a, room.links.host, 'Host')).token, room.id);
    const cohost = await connected(a, (await viaLink(a, room.links.cohost, 'Co')).token, room.id);
    const viewer = await connected(a, (await viaLink(a, room.links.viewer, 'Viewer')).token, room.id);
    expect(code(await cohost.request('room:rotateLink', { link: 'cohost' }))).toBe('FORBIDDEN');
    expect(code(await viewer.request('room:rotateLink', { link: 'viewer' }))).toBe('FORBIDDEN');
    expect(code(await host.request('room:rotateLink', { link: 'host' }))).toBe('BAD_REQUEST');

    const closed = cohost.record('room:closed');
    const answer = await host.request('room:rotateLink', { link: 'cohost' });
    if (!answer.ok) throw new Error(answer.error.code);
    const { link } = answer.data as { link: string };
    expect(link).toMatch(/\/host\/[\w-]{20,}$/);
    expect(link).not.toBe(room.links.cohost);
    await waitFor(() => closed[0]?.reason === 'link-rotated', 'the co-host to be told');
    expect(host.socket.connected && viewer.socket.connected).toBe(true);
    expect((await openLink(a.url, linkCode(room.links.cohost), 'Co', { ip: '10.8.0.3' })).status).toBe(404);
    const back = await connected(a, (await viaLink(a, link, 'Co')).token, room.id);
    expect(back.snapshot.self.role).toBe('cohost');
  });

  it('a token past its TTL is refused, while a connected session renews its token and reconnects', async () => {
    const ingest = await TestIngest.start({ tokenTtlSeconds: 6 });
    opened.push(ingest);
    const room = await ingest.createRoom('Short tokens');
    const joined = await openLink(ingest.url, linkCode(room.links.viewer), 'Long watcher', {
      ip: '10.8.1.1',
    });
    const first = joined.token ?? '';
    const expiresAt = (decodeJwt(first).exp ?? 0) * 1000;
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(6000);
    const session: Room = await connect({ url: ingest.url, token: first });
    clients.push(session);
    let renewed = 0;
    session.on('tokenRenewed', () => renewed++);
    const closed: string[] = [];
    session.on('closed', (reason) => closed.push(reason));

    await waitFor(() => Date.now() > expiresAt + 500, 'the first token to expire', 20_000);
    expect(await sdkOutcome(ingest, first)).toBe('TOKEN_EXPIRED');
    expect(closed).toEqual([]);
    expect(session.connected).toBe(true);
    expect(renewed).toBeGreaterThan(0);

    // A dropped connection comes back with the renewed token, as the same person.
    const back = nextEvent<[unknown]>((l) => session.on('reconnected', l), undefined, 20_000);
    session.socket.io.engine.close();
    await back;
    expect(session.self.peerId).toBe(decodeJwt(first).sub);
    expect(closed).toEqual([]);
    // A well-behaved newcomer is served; the API refuses tokens longer than a day.
    const newcomer = await openLink(ingest.url, linkCode(room.links.viewer), 'New', { ip: '10.8.1.2' });
    expect(await sdkOutcome(ingest, newcomer.token ?? '')).toBe('connected');
    const tooLong = await ingest.api<{ error: { code: string } }>('POST', `/api/rooms/${room.id}/tokens`, {
      role: 'viewer',
      name: 'x',
      ttlSeconds: 7 * 24 * 3600,
    });
    expect(tooLong).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });

  it('a token signed with the raw API secret (the old scheme) is refused; the derived key and STAGECAST_TOKEN_KEY sign', async () => {
    const room = await a.createRoom('Keys');
    const claims = { room: room.id, role: 'host' as const, name: 'Host', sub: 'key-test' };
    const raw = await signToken(new TextEncoder().encode(TEST_SECRET), claims);
    expect(await sdkOutcome(a, raw)).toBe('TOKEN_INVALID');
    // The same claims with the derived key are admitted: only the key differs.
    expect(await sdkOutcome(a, await signToken(roomTokenKey(), claims))).toBe('connected');

    const ownKey = 'a-separate-token-key-0123456789abcdef';
    const separate = await TestIngest.start({ tokenKey: ownKey, redisUrl: await ownRedisDatabase(10) });
    opened.push(separate);
    const other = await separate.createRoom('Own key');
    const otherClaims = { ...claims, room: other.id };
    expect(await sdkOutcome(separate, await signToken(roomTokenKey(), otherClaims))).toBe('TOKEN_INVALID');
    expect(await sdkOutcome(separate, await signToken(new TextEncoder().encode(ownKey), otherClaims))).toBe(
      'connected',
    );
    expect(await sdkOutcome(separate, await separate.token(other.id, 'viewer', 'Viewer'))).toBe('connected');
  });
});
