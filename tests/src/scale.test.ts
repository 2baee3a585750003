import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ChatMessage, HandEntry, Role, StageInvite } from '@stagecast/protocol';
import { ChatClient, HandsClient, connect, type Room } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent, refusal } from './helpers/events.js';

// Two ingest processes' worth of servers sharing one Redis, as behind a load balancer.
let a: TestIngest;
let b: TestIngest;
let redis: Redis;
const rooms: string[] = [];
const clients: Room[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([TestIngest.start(), TestIngest.start()]);
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await expectAdaptersConnected();
});

/**
 * Fails fast, with the cause, when a server's Socket.IO Redis adapter lost its subscription
 * at start-up (a (P)SUBSCRIBE sent before the ioredis client is ready is dropped when the
 * client's ready check fails and it reconnects): then nothing from the other process arrives.
 */
async function expectAdaptersConnected(): Promise<void> {
  const id = await newRoom('Adapter probe');
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const listener = await join(to, id, 'viewer', 'Probe listener');
    const sender = await join(from, id, 'viewer', 'Probe sender');
    const heard = nextEvent<[ChatMessage]>(
      (l) => subscribeChat(listener, l),
      () => true,
      3000,
    ).then(
      () => true,
      () => false,
    );
    await sender.request('chat:send', { clientId: 'probe', text: 'probe' });
    if (!(await heard)) {
      throw new Error(
        `No cross-process delivery from ${from.url} to ${to.url}: the Socket.IO Redis adapter is not subscribed ` +
          '(Server.ts must wait for the pub/sub clients to be ready before createAdapter)',
      );
    }
    listener.close();
    sender.close();
  }
}

function subscribeChat(room: Room, listener: (message: ChatMessage) => void): () => void {
  room.socket.on('chat:message', listener);
  return () => room.socket.off('chat:message', listener);
}
afterAll(async () => {
  for (const client of clients) client.close();
  for (const id of rooms) {
    await a.api('DELETE', `/api/rooms/${id}`);
    const keys = await redis.keys(`stagecast:room:${id}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await Promise.all([a?.close(), b?.close()]);
  await redis?.quit();
});

async function newRoom(name: string): Promise<string> {
  const { id } = await a.createRoom(name);
  rooms.push(id);
  return id;
}

async function join(server: TestIngest, roomId: string, role: Role, name: string): Promise<Room> {
  const room = await server.join(roomId, role, name);
  clients.push(room);
  return room;
}

async function connectWith(server: TestIngest, token: string): Promise<Room> {
  const room = await connect({ url: server.url, token, reconnect: false });
  clients.push(room);
  return room;
}

describe('two ingest processes', () => {
  it('share chat: messages, history, idempotency, rate limits and moderation', async () => {
    const id = await newRoom('Two chats');
    const host = new ChatClient(await join(a, id, 'host', 'Host'));
    const token = await a.token(id, 'viewer', 'Roamer');
    const viewerRoom = await connectWith(b, token);
    const viewer = new ChatClient(viewerRoom);

    const atHost = nextEvent<[ChatMessage]>((l) => host.on('message', l));
    const first = await viewer.send('from B', { clientId: 'c-1' });
    expect((await atHost)[0]).toEqual(first);
    const atViewer = nextEvent<[ChatMessage]>((l) => viewer.on('message', l));
    await host.send('from A');
    expect((await atViewer)[0].text).toBe('from A');

    const [historyA, historyB] = await Promise.all(
      [a, b].map(
        async (s) => (await s.api<{ messages: ChatMessage[] }>('GET', `/api/rooms/${id}/chat`)).body.messages,
      ),
    );
    expect(historyA).toEqual(historyB);
    expect(historyA?.map((m) => m.text)).toEqual(['from B', 'from A']);

    // The same person moves to the other process (same token, same peer id): a retry is
    // still recognised and the rate limit still counts what they sent.
    viewerRoom.close();
    const movedRoom = await connectWith(a, token);
    const moved = new ChatClient(movedRoom);
    expect(await moved.send('from B', { clientId: 'c-1' })).toEqual(first);
    for (let i = 0; i < 4; i++) await moved.send(`burst ${i}`);
    expect((await refusal(moved.send('one too many'))).code).toBe('RATE_LIMITED');

    // Moderation on B reaches a person on A.
    const cohost = new ChatClient(await join(b, id, 'cohost', 'Co'));
    const muted = nextEvent<[number]>((l) => moved.on('muted', l));
    await cohost.mute(movedRoom.self.peerId, 30);
    await muted;
    const deleted = nextEvent<[string]>((l) => host.on('deleted', l));
    await cohost.delete(first.id);
    expect((await deleted)[0]).toBe(first.id);
    const slow = nextEvent<[number]>((l) => host.on('slowMode', l));
    await cohost.setSlowMode(5);
    expect((await slow)[0]).toBe(5);

    const closed = nextEvent<[string, string]>((l) => movedRoom.on('closed', l));
    await cohost.ban(movedRoom.self.peerId);
    expect((await closed)[0]).toBe('banned');
    expect((await refusal(connect({ url: b.url, token, reconnect: false }))).code).toBe('BANNED');
  });

  it('share the hand queue and stage invitations', async () => {
    const id = await newRoom('Two queues');
    const hostRoom = await join(a, id, 'host', 'Host');
    const host = new HandsClient(hostRoom);
    // A co-host connecting to B is sent to A, which owns the room's stage.
    const cohost = new HandsClient(await join(b, id, 'cohost', 'Co'));
    const viewers: HandsClient[] = [];
    const rooms: Room[] = [];
    const tokens: string[] = [];
    for (const [i, name] of ['V1', 'V2', 'V3', 'V4'].entries()) {
      const at = i % 2 === 0 ? a : b;
      tokens.push(await at.token(id, 'viewer', name));
      const room = await connectWith(at, tokens[i] ?? '');
      rooms.push(room);
      viewers.push(new HandsClient(room));
    }
    const fullOnA = nextEvent<[HandEntry[]]>(
      (l) => host.on('queue', l),
      (q) => q.length === 4,
    );
    const fullOnB = nextEvent<[HandEntry[]]>(
      (l) => cohost.on('queue', l),
      (q) => q.length === 4,
    );
    for (const [i, v] of viewers.entries()) expect((await v.raise()).position).toBe(i + 1);
    const [[queueA], [queueB]] = await Promise.all([fullOnA, fullOnB]);
    expect(queueA).toEqual(queueB);
    expect(queueA.map((e) => e.name)).toEqual(['V1', 'V2', 'V3', 'V4']);

    // A manager dismisses V1 (on A); V2 (on B) and V4 (on B) hear about their new places.
    const v4 = nextEvent<[HandEntry | null]>(
      (l) => viewers[3]!.on('mine', l),
      (e) => e?.position === 3,
    );
    await cohost.dismiss(rooms[0]!.self.peerId);
    await v4;

    // The host on A invites V2 (on B). B does not hold the stage: the SDK moves V2's room to A
    // (MEDIA_ELSEWHERE names it) and accepts there, as the same person, now a guest on A.
    const invited = nextEvent<[StageInvite]>((l) => viewers[1]!.on('invited', l));
    const ended = nextEvent<[{ outcome: string }]>((l) => host.on('inviteEnded', l));
    const invite = await host.invite(rooms[1]!.self.peerId);
    await invited;
    expect(await viewers[1]!.accept(invite.inviteId)).toBe('guest');
    const guest = rooms[1]!;
    expect(guest.url).toBe(a.url);
    expect((await ended)[0].outcome).toBe('accepted');
    await guest.request('stage:createTransport', { direction: 'send' });
    expect(a.server.ctx.rooms.get(id)?.peers.get(guest.self.peerId)?.role).toBe('guest');

    // The host demotes the guest: the guest's role changes.
    const demoted = nextEvent<[Role, string]>((l) => guest.on('roleChanged', l));
    await host.demote(guest.self.peerId);
    expect(await demoted).toEqual(['viewer', 'demoted']);
    expect((await refusal(guest.request('stage:createTransport', { direction: 'send' }))).code).toBe(
      'FORBIDDEN',
    );

    expect((await host.listAudience()).map((m) => `${m.name}:${m.handRaised}`).sort()).toEqual([
      'V1:false',
      'V2:false',
      'V3:true',
      'V4:true',
    ]);
  });

  it('throttles the viewer count while a crowd joins on both processes', async () => {
    const id = await newRoom('Crowd');
    const hostRoom = await join(a, id, 'host', 'Host');
    const counts: number[] = [];
    hostRoom.on('audienceCount', (n) => counts.push(n));
    const started = Date.now();
    const crowd = 24;
    await Promise.all(
      Array.from({ length: crowd }, (_, i) => join(i % 2 === 0 ? a : b, id, 'viewer', `Viewer ${i}`)),
    );
    await waitFor(() => hostRoom.viewers === crowd, `the host to see ${crowd} viewers`);
    const seconds = (Date.now() - started) / 1000;
    // At most one update a second per room from each of the two processes (plus the first ones).
    expect(counts.length).toBeLessThanOrEqual(2 * (Math.ceil(seconds) + 1));
    expect(counts.at(-1)).toBe(crowd);
  });
});
