import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ChatMessage, HandEntry, Role, RoomInfo, StageInvite } from '@stagecast/protocol';
import { ChatClient, HandsClient, type Room } from '@stagecast/sdk';
import { freePort, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent, refusal } from './helpers/events.js';
import { produceDummy } from './helpers/stage.js';
import { launchChromium, newPage } from './helpers/chromium.js';
import { acceptAndJoinStage, joinViewerApp } from './helpers/viewerApp.js';

/**
 * Two ingest processes behind one Redis: the room's stage is on A (its host connected there),
 * viewers are on B. A viewer who accepts an invitation on B is moved to A by the SDK, and
 * carries on there. Each process lists both origins (STAGECAST_ALLOWED_ORIGINS), as the
 * README asks of a deployment whose pages may come from any process.
 */
const UI_BUILT = existsSync(fileURLToPath(new URL('../../viewer-ui/dist/index.html', import.meta.url)));

let a: TestIngest;
let b: TestIngest;
let browser: Browser | undefined;
const clients: Room[] = [];
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  const redisUrl = await ownRedisDatabase(11);
  const [portA, portB] = await Promise.all([freePort(), freePort()]);
  const allowedOrigins = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
  // Room for the host and one guest: a co-host more fills the stage.
  const settings = { redisUrl, allowedOrigins, maxStage: 2 };
  [a, b] = await Promise.all([
    TestIngest.start({ ...settings, port: portA }),
    TestIngest.start({ ...settings, port: portB }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await Promise.all([a?.close(), b?.close()]);
}, 60_000);

/** A room whose stage is on A: its host connected there first. */
async function roomOnA(name: string): Promise<{ id: string; host: Room; links: { viewer: string } }> {
  const { id, links } = await a.createRoom(name);
  const host = await a.join(id, 'host', 'Host');
  clients.push(host);
  return { id, host, links };
}

async function viewerOnB(roomId: string, name: string): Promise<Room> {
  const room = await b.join(roomId, 'viewer', name);
  clients.push(room);
  return room;
}

/** Invites `viewer` from `hosts` and waits until the viewer's client holds the invitation. */
async function invite(hosts: HandsClient, viewer: Room, viewerHands: HandsClient): Promise<StageInvite> {
  const invited = nextEvent<[StageInvite]>((l) => viewerHands.on('invited', l));
  await hosts.invite(viewer.self.peerId);
  return (await invited)[0];
}

/** Sends `text` from one chat and resolves with the message once the other receives it. */
async function delivered(from: ChatClient, to: ChatClient, text: string): Promise<ChatMessage> {
  const received = nextEvent<[ChatMessage]>(
    (l) => to.on('message', l),
    (m) => m.text === text,
  );
  await from.send(text);
  return (await received)[0];
}

const peersOn = (server: TestIngest, roomId: string) => server.server.ctx.rooms.get(roomId)?.peers;

describe('accepting a stage invitation on a process that does not hold the stage', () => {
  it('the SDK moves the viewer to the owner: a guest there who publishes, with chat, hands and roles following', async () => {
    const { id, host } = await roomOnA('Moved on accept');
    const hosts = new HandsClient(host);
    const hostChat = new ChatClient(host);
    const viewer = await viewerOnB(id, 'Dana');
    const hands = new HandsClient(viewer);
    const chat = new ChatClient(viewer);
    const peerId = viewer.self.peerId;
    await invite(hosts, viewer, hands);

    const roles: [Role, string][] = [];
    viewer.on('roleChanged', (role, reason) => roles.push([role, reason]));
    const refreshed = nextEvent((l) => viewer.on('reconnected', l));
    expect(await hands.accept()).toBe('guest');
    await refreshed;
    expect(viewer.url).toBe(a.url);
    expect(viewer.role).toBe('guest');
    expect(roles).toEqual([['guest', 'invite-accepted']]);
    expect(peersOn(a, id)?.get(peerId)?.role).toBe('guest');
    // The old connection is closed once the new one has accepted.
    await waitFor(() => !peersOn(b, id)?.has(peerId), 'the connection to B to close');

    // On the stage of A: it publishes there.
    expect((await viewer.request('stage:createTransport', { direction: 'send' })).id).toBeTruthy();
    const producerId = await produceDummy(viewer);
    expect(a.server.ctx.rooms.get(id)?.findProducer(producerId)).toBeTruthy();
    await waitFor(
      () => viewer.stage.find((p) => p.peerId === peerId)?.producers.some((p) => p.id === producerId),
      'the room to list the guest’s own producer',
    );

    // Chat both ways, on the same ChatClient objects.
    await delivered(hostChat, chat, 'Welcome on stage');
    expect((await delivered(chat, hostChat, 'Thanks!')).sender.peerId).toBe(peerId);

    // Role notifications reach the moved room: the host sends the guest back to the audience.
    const demoted = nextEvent<[Role, string]>((l) => viewer.on('roleChanged', l));
    await hosts.demote(peerId);
    expect(await demoted).toEqual(['viewer', 'demoted']);
    const raised = nextEvent<[HandEntry | null]>(
      (l) => hands.on('mine', l),
      (entry) => entry !== null,
    );
    await hands.raise('Once more?');
    expect((await raised)[0]?.question).toBe('Once more?');
  }, 60_000);

  it('when accepting on the owner fails too, the viewer stays on B, still seen by hosts, and learns why', async () => {
    const { id, host } = await roomOnA('Full on arrival');
    const hosts = new HandsClient(host);
    const viewer = await viewerOnB(id, 'Eve');
    const hands = new HandsClient(viewer);
    const chat = new ChatClient(viewer);
    const peerId = viewer.self.peerId;
    const { inviteId } = await invite(hosts, viewer, hands);
    // A co-host takes the last seat before the viewer answers.
    clients.push(await a.join(id, 'cohost', 'Cora'));

    const refused = await refusal(hands.accept(inviteId));
    expect(refused.code).toBe('STAGE_FULL');
    expect(refused.message).toContain(a.url);
    expect(viewer.url).toBe(b.url);
    expect(viewer.role).toBe('viewer');
    await waitFor(() => viewer.connected && peersOn(b, id)?.has(peerId), 'the viewer connected to B');
    await waitFor(() => !peersOn(a, id)?.has(peerId), 'the connection to A to close');
    // Hosts still see the viewer in the audience (and could invite them again).
    await waitFor(
      async () => (await hosts.listAudience()).some((m) => m.peerId === peerId),
      'the viewer in the audience',
    );
    await delivered(chat, chat, 'Still here');
  }, 60_000);

  it('the viewer app served by B: accept, device check, and on A’s stage with camera and microphone', async () => {
    if (!UI_BUILT) throw new Error('viewer-ui is not built: run "npm run build -w @stagecast/viewer-ui"');
    browser = await launchChromium();
    const { id, host, links } = await roomOnA('Viewer app on B');
    const page = await newPage(browser, cleanups);
    const code = new URL(links.viewer).pathname.split('/').pop() ?? '';
    await joinViewerApp(page, `${b.url}/watch/${code}`, 'Vic');
    const member = await waitFor(
      async () => (await host.request('audience:list', {})).find((m) => m.name === 'Vic'),
      'Vic in the audience',
    );
    await host.request('stage:invite', { peerId: member.peerId });
    await acceptAndJoinStage(page);
    await waitFor(
      async () =>
        (await a.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.stage.find((p) => p.peerId === member.peerId)
          ?.producers.length === 2,
      'Vic’s camera and microphone on A',
      30_000,
    );
    expect(peersOn(a, id)?.get(member.peerId)?.role).toBe('guest');
    await waitFor(() => !peersOn(b, id)?.has(member.peerId), 'the page’s connection to B to close');
  }, 120_000);
});
