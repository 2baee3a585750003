import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@stagecast/ingest';
import type { AckResult, BanEntry, BanListResponse, CreateRoomResponse, Role } from '@stagecast/protocol';
import { ownRedisDatabase, TestIngest, TEST_SECRET, waitFor } from './helpers/servers.js';
import { RawClient } from './helpers/rawClient.js';
import { connectFrom, linkCode, openLink, openLinkKeepingCookie, type Browser } from './helpers/identity.js';

// Two processes on one Redis: a ban made on one must hold on the other.
let a: TestIngest;
let b: TestIngest;
const clients: RawClient[] = [];
let nextIp = 1;
/** A new address for each browser, so that address bans of one case do not reach another. */
const freshIp = () => `10.9.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

beforeAll(async () => {
  const redisUrl = await ownRedisDatabase(4);
  const defaults = loadConfig({ STAGECAST_API_SECRET: TEST_SECRET });
  const config = { redisUrl, limits: { ...defaults.limits, trustProxy: 1 } };
  [a, b] = await Promise.all([TestIngest.start(config), TestIngest.start(config)]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([a?.close(), b?.close()]);
});

async function connected(server: TestIngest, token: string, roomId: string, ip: string): Promise<RawClient> {
  const client = await connectFrom(server.url, token, roomId, ip);
  if (typeof client === 'string') throw new Error(`connection refused: ${client}`);
  clients.push(client);
  return client;
}

/** Opens the viewer link from a browser (keeping its cookie) and connects. */
async function viewer(
  room: CreateRoomResponse,
  name: string,
  browser: Browser,
  server = b,
): Promise<RawClient> {
  const joined = await openLinkKeepingCookie(server.url, linkCode(room.links.viewer), name, browser);
  expect(joined.status).toBe(200);
  return connected(server, joined.token ?? '', room.id, browser.ip);
}

async function member(room: CreateRoomResponse, role: Role, name: string): Promise<RawClient> {
  return connected(a, await a.token(room.id, role, name), room.id, freshIp());
}

function ok<T>(result: AckResult<unknown>): T {
  if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.message}`);
  return result.data as T;
}

const code = (result: AckResult<unknown>) => (result.ok ? 'ok' : result.error.code);

async function ban(by: RawClient, target: RawClient): Promise<void> {
  const closed = target.record('room:closed');
  ok(await by.request('room:ban', { peerId: target.snapshot.self.peerId }));
  await waitFor(
    () => closed[0]?.reason === 'banned' && !target.socket.connected,
    'the banned socket to close',
  );
}

describe('bans follow the person, not the name', () => {
  it('a troll banned under the host name does not lock the host out', async () => {
    const room = await a.createRoom('Impostor');
    const host = await member(room, 'host', 'Alice');
    const trollBrowser = { ip: freshIp() };
    const troll = await viewer(room, 'Alice', trollBrowser);
    await ban(host, troll);

    // The host joins again under the same name, through the host link, from the troll's
    // address too: neither the name nor the address of a viewer ban reaches a host.
    host.close();
    const again = await openLink(a.url, linkCode(room.links.host), 'Alice', { ip: trollBrowser.ip });
    expect(again.status).toBe(200);
    const back = await connected(a, again.token ?? '', room.id, trollBrowser.ip);
    expect(back.snapshot.self).toMatchObject({ name: 'Alice', role: 'host' });
    // Another viewer named Alice, from elsewhere, is served too.
    const namesake = await viewer(room, 'Alice', { ip: freshIp() });
    expect(namesake.snapshot.self.role).toBe('viewer');
  });

  it('a banned viewer rejoining through the viewer link under a new name is refused with BANNED', async () => {
    const room = await a.createRoom('Rename');
    const host = await member(room, 'host', 'Host');
    const browser: Browser = { ip: freshIp() };
    const joined = await openLinkKeepingCookie(b.url, linkCode(room.links.viewer), 'Troll', browser);
    const troll = await connected(b, joined.token ?? '', room.id, browser.ip);
    await ban(host, troll);

    const renamed = await openLink(b.url, linkCode(room.links.viewer), 'Totally New', browser);
    expect(renamed).toMatchObject({ status: 403, code: 'BANNED' });
    expect(renamed.token).toBeUndefined();
    // The token held before the ban is refused on every process.
    expect(await connectFrom(a.url, joined.token ?? '', room.id, browser.ip)).toBe('BANNED');
    expect(await connectFrom(b.url, joined.token ?? '', room.id, browser.ip)).toBe('BANNED');
    // A well-behaved viewer is still served.
    const other = await viewer(room, 'Polite', { ip: freshIp() });
    expect(other.snapshot.self.role).toBe('viewer');
  });

  it('a fresh cookie from a banned address is refused; viewers there before the ban keep their place', async () => {
    const room = await a.createRoom('Same network');
    const host = await member(room, 'host', 'Host');
    const office = freshIp();
    const colleague: Browser = { ip: office };
    await viewer(room, 'Colleague', colleague);
    const troll = await viewer(room, 'Troll', { ip: office });
    await ban(host, troll);

    // Cookies cleared, or another browser on the same network: a new identity is refused.
    expect(await openLink(b.url, linkCode(room.links.viewer), 'Fresh', { ip: office })).toMatchObject({
      status: 403,
      code: 'BANNED',
    });
    const forged = await openLink(b.url, linkCode(room.links.viewer), 'Forged', {
      ip: office,
      cookie: `stagecast_id_${room.id}=someone.1.bad`,
    });
    expect(forged).toMatchObject({ status: 403, code: 'BANNED' });
    // The colleague who was watching before the ban comes back, under any name.
    const back = await openLink(b.url, linkCode(room.links.viewer), 'Colleague 2', colleague);
    expect(back.status).toBe(200);
    await connected(a, back.token ?? '', room.id, office);
    // Elsewhere, new viewers are served.
    expect((await openLink(b.url, linkCode(room.links.viewer), 'Fresh', { ip: freshIp() })).status).toBe(200);
  });

  it('bans are listed and lifted through REST and the host app, and a lifted ban admits again', async () => {
    const room = await a.createRoom('Lift');
    const host = await member(room, 'host', 'Host');
    const cohost = await member(room, 'cohost', 'Co');
    const browser: Browser = { ip: freshIp() };
    const troll = await viewer(room, 'Troll', browser);
    const trollId = troll.snapshot.self.peerId;
    const notified = cohost.record('room:bans');
    await ban(host, troll);

    const listed = await a.api<BanListResponse>('GET', `/api/rooms/${room.id}/bans`);
    expect(listed.status).toBe(200);
    expect(listed.body.bans).toEqual([
      {
        peerId: trollId,
        name: 'Troll',
        role: 'viewer',
        bannedAt: expect.any(Number) as number,
        by: { peerId: host.snapshot.self.peerId, name: 'Host' },
      },
    ]);
    // The address is a signal for the server, never shown.
    expect(JSON.stringify(listed.body)).not.toContain(browser.ip);
    expect(ok<BanEntry[]>(await cohost.request('room:bans', {}))).toEqual(listed.body.bans);
    await waitFor(() => notified.length > 0, 'room:bans to reach the co-host');
    const viewerClient = await viewer(room, 'Viewer', { ip: freshIp() });
    expect(code(await viewerClient.request('room:bans', {}))).toBe('FORBIDDEN');
    expect(code(await viewerClient.request('room:unban', { peerId: trollId }))).toBe('FORBIDDEN');

    // Lifted in the host app by a co-host: the same browser comes back, by cookie and address.
    ok(await cohost.request('room:unban', { peerId: trollId }));
    expect(ok<BanEntry[]>(await host.request('room:bans', {}))).toEqual([]);
    const back = await openLink(b.url, linkCode(room.links.viewer), 'Reformed', browser);
    expect(back.status).toBe(200);
    const returned = await connected(a, back.token ?? '', room.id, browser.ip);
    expect(returned.snapshot.self.peerId).toBe(trollId);

    // Through REST: a second ban, lifted with the secret; an unknown id is NOT_FOUND.
    await ban(host, returned);
    expect((await a.api('DELETE', `/api/rooms/${room.id}/bans/${trollId}`)).status).toBe(204);
    const again = await a.api<{ error: { code: string } }>('DELETE', `/api/rooms/${room.id}/bans/${trollId}`);
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const noSecret = await a.api('GET', `/api/rooms/${room.id}/bans`, undefined, 'wrong');
    expect(noSecret.status).toBe(401);
    expect((await openLink(b.url, linkCode(room.links.viewer), 'Twice reformed', browser)).status).toBe(200);
  });

  it('hosts ban and demote co-hosts; co-hosts cannot act on hosts or other co-hosts', async () => {
    const room = await a.createRoom('Co-hosts');
    const host = await member(room, 'host', 'Host');
    const co1 = await member(room, 'cohost', 'Co one');
    const coToken = await a.token(room.id, 'cohost', 'Co two');
    const co2 = await connected(a, coToken, room.id, freshIp());
    const co3 = await member(room, 'cohost', 'Co three');
    const hostId = host.snapshot.self.peerId;
    const co2Id = co2.snapshot.self.peerId;

    expect(code(await co1.request('room:ban', { peerId: hostId }))).toBe('FORBIDDEN');
    expect(code(await co1.request('stage:demote', { peerId: hostId }))).toBe('FORBIDDEN');
    expect(code(await co1.request('room:ban', { peerId: co2Id }))).toBe('FORBIDDEN');
    expect(code(await co1.request('stage:demote', { peerId: co2Id }))).toBe('FORBIDDEN');
    expect(host.socket.connected && co2.socket.connected).toBe(true);

    // Demoted by the host: told on its own process, and a viewer on reconnection too.
    const roles = co2.record('self:role');
    ok(await host.request('stage:demote', { peerId: co2Id }));
    await waitFor(() => roles[0]?.role === 'viewer', 'the co-host to be told of the demotion');
    expect(roles[0]?.reason).toBe('demoted');
    co2.close();
    const rejoined = await connected(a, coToken, room.id, freshIp());
    expect(rejoined.snapshot.self.role).toBe('viewer');
    expect(code(await rejoined.request('room:bans', {}))).toBe('FORBIDDEN');

    // Banned by the host; only a host lifts a co-host's ban.
    await ban(host, co1);
    expect(await connectFrom(b.url, tokenOf(co1), room.id, freshIp())).toBe('BANNED');
    expect(code(await co3.request('room:unban', { peerId: co1.snapshot.self.peerId }))).toBe('FORBIDDEN');
    ok(await host.request('room:unban', { peerId: co1.snapshot.self.peerId }));
    expect(host.socket.connected && co3.socket.connected).toBe(true);
  });
});

/** The token a raw client connected with. */
const tokenOf = (client: RawClient) => (client.socket.auth as { token: string }).token;
