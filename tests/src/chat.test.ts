import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ChatMessage } from '@stagecast/protocol';
import { ChatClient, connect, type Room } from '@stagecast/sdk';
import { TestIngest } from './helpers/servers.js';
import { nextEvent, refusal } from './helpers/events.js';

let ingest: TestIngest;
let redis: Redis;
const rooms: string[] = [];
const clients: Room[] = [];

beforeAll(async () => {
  ingest = await TestIngest.start();
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const id of rooms) {
    await ingest.api('DELETE', `/api/rooms/${id}`);
    const keys = await redis.keys(`stagecast:room:${id}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await ingest?.close();
  await redis?.quit();
});

async function newRoom(name: string): Promise<string> {
  const { id } = await ingest.createRoom(name);
  rooms.push(id);
  return id;
}

async function join(
  server: TestIngest,
  roomId: string,
  role: 'host' | 'cohost' | 'viewer',
  name: string,
): Promise<Room> {
  const room = await server.join(roomId, role, name);
  clients.push(room);
  return room;
}

async function restHistory(server: TestIngest, roomId: string): Promise<ChatMessage[]> {
  const { status, body } = await server.api<{ messages: ChatMessage[] }>('GET', `/api/rooms/${roomId}/chat`);
  expect(status).toBe(200);
  return body.messages;
}

describe('chat', () => {
  it('delivers history in the join snapshot, with server ids, times and senders', async () => {
    const id = await newRoom('History');
    const host = await join(ingest, id, 'host', 'Hana');
    const hostChat = new ChatClient(host);
    const before = Date.now();
    const sent = [await hostChat.send('one'), await hostChat.send('two'), await hostChat.send('three')];

    const viewer = await join(ingest, id, 'viewer', 'Vik');
    const chat = new ChatClient(viewer);
    expect(chat.messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(chat.messages.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    for (const m of chat.messages) {
      expect(m.sender).toEqual({ peerId: host.self.peerId, name: 'Hana', role: 'host' });
      expect(m.ts).toBeGreaterThanOrEqual(before - 1000);
    }
    expect(new Set(sent.map((m) => m.id)).size).toBe(3);

    // Others receive new messages live, once.
    const received = nextEvent<[ChatMessage]>((l) => chat.on('message', l));
    const four = await hostChat.send('four');
    expect((await received)[0]).toEqual(four);
    expect(hostChat.messages.filter((m) => m.id === four.id)).toHaveLength(1);
    expect((await restHistory(ingest, id)).map((m) => m.text)).toEqual(['one', 'two', 'three', 'four']);

    const anonymous = await fetch(`${ingest.url}/api/rooms/${id}/chat`);
    expect(anonymous.status).toBe(401);
  });

  it('stores text byte for byte, removes control characters, enforces the length', async () => {
    const id = await newRoom('Text');
    const viewer = await join(ingest, id, 'viewer', 'Mallory');
    const chat = new ChatClient(viewer);
    const other = new ChatClient(await join(ingest, id, 'viewer', 'Other'));
    const html = `<script>alert("x")</script> &amp; <b>bold</b> 'q' 👨‍👩‍👧 café`;
    const arrived = nextEvent<[ChatMessage]>((l) => other.on('message', l));
    const message = await chat.send(html);
    expect(message.text).toBe(html);
    expect((await arrived)[0].text).toBe(html);
    expect((await restHistory(ingest, id)).at(-1)?.text).toBe(html);

    const cleaned = await chat.send('  a\u202Eb\u0000c\u200Bd\r\ne\n\n\n\nf\tg  ');
    expect(cleaned.text).toBe('abcd\ne\n\nf g');

    expect((await chat.send('x'.repeat(500))).text).toHaveLength(500);
    expect((await refusal(chat.send('x'.repeat(501)))).code).toBe('BAD_REQUEST');
    expect((await refusal(chat.send(' \u0000\n '))).code).toBe('BAD_REQUEST');
    expect((await refusal(viewer.request('chat:send', { clientId: '', text: 'hi' }))).code).toBe(
      'BAD_REQUEST',
    );
    expect((await refusal(viewer.request('chat:send', { clientId: 'x'.repeat(65), text: 'hi' }))).code).toBe(
      'BAD_REQUEST',
    );
  });

  it('stores a retried send once and answers with the original message', async () => {
    const id = await newRoom('Idempotent');
    const viewer = await join(ingest, id, 'viewer', 'Retry');
    const first = await viewer.request('chat:send', { clientId: 'msg-1', text: 'hello' });
    const again = await viewer.request('chat:send', { clientId: 'msg-1', text: 'hello' });
    expect(again).toEqual(first);
    // Concurrent duplicates (a retry racing the original) also collapse into one.
    const [a, b] = await Promise.all([
      viewer.request('chat:send', { clientId: 'msg-2', text: 'race' }),
      viewer.request('chat:send', { clientId: 'msg-2', text: 'race' }),
    ]);
    expect(a.id).toBe(b.id);
    const history = await restHistory(ingest, id);
    expect(history.map((m) => m.clientId)).toEqual(['msg-1', 'msg-2']);

    // The same clientId from another sender is another message.
    const other = await join(ingest, id, 'viewer', 'Other');
    const theirs = await other.request('chat:send', { clientId: 'msg-1', text: 'mine' });
    expect(theirs.id).not.toBe(first.id);
  });

  it('rate-limits a sender with RATE_LIMITED and retryAfterMs', async () => {
    const id = await newRoom('Rate');
    const chat = new ChatClient(await join(ingest, id, 'viewer', 'Spammer'));
    for (let i = 0; i < 5; i++) await chat.send(`m${i}`);
    const error = await refusal(chat.send('too many'));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(10_000);
    // Others are not affected.
    await new ChatClient(await join(ingest, id, 'viewer', 'Calm')).send('fine');
  });

  it('lets moderators delete and pin; others cannot', async () => {
    const id = await newRoom('Moderation');
    const host = await join(ingest, id, 'host', 'Host');
    const viewer = await join(ingest, id, 'viewer', 'Viewer');
    const hostChat = new ChatClient(host);
    const chat = new ChatClient(viewer);
    const keep = await chat.send('keep me');
    const bad = await chat.send('delete me');

    expect((await refusal(chat.delete(keep.id))).code).toBe('FORBIDDEN');
    expect((await refusal(chat.pin(keep.id))).code).toBe('FORBIDDEN');

    const pinned = nextEvent<[ChatMessage | null]>((l) => chat.on('pinned', l));
    await hostChat.pin(bad.id);
    expect((await pinned)[0]?.id).toBe(bad.id);
    expect(chat.pinned?.text).toBe('delete me');

    const deleted = nextEvent<[string]>((l) => chat.on('deleted', l));
    const unpinned = nextEvent<[ChatMessage | null]>((l) => chat.on('pinned', l));
    await hostChat.delete(bad.id);
    expect((await deleted)[0]).toBe(bad.id);
    expect((await unpinned)[0]).toBeNull();
    expect(chat.messages.map((m) => m.id)).toEqual([keep.id]);
    expect((await refusal(hostChat.delete(bad.id))).code).toBe('NOT_FOUND');
    expect((await restHistory(ingest, id)).map((m) => m.id)).toEqual([keep.id]);

    await hostChat.pin(keep.id);
    const late = new ChatClient(await join(ingest, id, 'viewer', 'Late'));
    expect(late.messages.map((m) => m.id)).toEqual([keep.id]);
    expect(late.pinned?.id).toBe(keep.id);
    await hostChat.unpin();
    expect(new ChatClient(await join(ingest, id, 'viewer', 'Later')).pinned).toBeNull();
  });

  it('mutes a person for a while', async () => {
    const id = await newRoom('Mute');
    const host = await join(ingest, id, 'host', 'Host');
    const cohost = await join(ingest, id, 'cohost', 'Co');
    const viewer = await join(ingest, id, 'viewer', 'Loud');
    const chat = new ChatClient(viewer);
    const muted = nextEvent<[number]>((l) => chat.on('muted', l));
    const until = await new ChatClient(host).mute(viewer.self.peerId, 60);
    expect((await muted)[0]).toBe(until);
    const error = await refusal(chat.send('can I talk?'));
    expect(error.code).toBe('CHAT_MUTED');
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);

    expect((await refusal(new ChatClient(cohost).mute(host.self.peerId, 60))).code).toBe('FORBIDDEN');
    expect((await refusal(chat.mute(cohost.self.peerId, 60))).code).toBe('FORBIDDEN');

    await new ChatClient(host).unmute(viewer.self.peerId);
    expect((await chat.send('thanks')).text).toBe('thanks');
  });

  it('slow mode spaces out messages of each sender; hosts are exempt', async () => {
    const id = await newRoom('Slow');
    const host = await join(ingest, id, 'host', 'Host');
    const hostChat = new ChatClient(host);
    const chat = new ChatClient(await join(ingest, id, 'viewer', 'Quick'));
    const announced = nextEvent<[number]>((l) => chat.on('slowMode', l));
    await hostChat.setSlowMode(30);
    expect((await announced)[0]).toBe(30);
    expect(chat.slowModeSeconds).toBe(30);

    await chat.send('first');
    const error = await refusal(chat.send('second'));
    expect(error.code).toBe('SLOW_MODE');
    expect(error.retryAfterMs).toBeGreaterThan(20_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
    await hostChat.send('host one');
    await hostChat.send('host two');
    // Another viewer has their own slot.
    await new ChatClient(await join(ingest, id, 'viewer', 'Other')).send('mine');
    expect(new ChatClient(await join(ingest, id, 'viewer', 'Late')).slowModeSeconds).toBe(30);

    await hostChat.setSlowMode(0);
    await chat.send('second, later');
  });

  it('a ban closes the connection and refuses the identity', async () => {
    const id = await newRoom('Ban');
    const host = await join(ingest, id, 'host', 'Host');
    const token = await ingest.token(id, 'viewer', 'Troll');
    const troll = await connect({ url: ingest.url, token, reconnect: false });
    clients.push(troll);
    await new ChatClient(troll).send('spam');

    expect((await refusal(new ChatClient(troll).ban(host.self.peerId))).code).toBe('FORBIDDEN');
    const closed = nextEvent<[string, string]>((l) => troll.on('closed', l));
    await new ChatClient(host).ban(troll.self.peerId, 'spam');
    expect((await closed)[0]).toBe('banned');

    // Names are not banned (bans.test.ts): the identity is.
    const error = await refusal(connect({ url: ingest.url, token, reconnect: false }));
    expect(error.code).toBe('BANNED');
    // The audience stays.
    const ok = await join(ingest, id, 'viewer', 'Friendly');
    expect(ok.role).toBe('viewer');
  });

  it('history survives an ingest restart', async () => {
    const first = await TestIngest.start();
    const { id } = await first.createRoom('Restart');
    rooms.push(id);
    const viewer = await first.join(id, 'viewer', 'Persistent');
    const sent = await new ChatClient(viewer).send('still here?');
    viewer.close();
    await first.close();

    const second = await TestIngest.start();
    try {
      const again = await second.join(id, 'viewer', 'Back');
      expect(new ChatClient(again).messages.map((m) => m.id)).toEqual([sent.id]);
      expect((await restHistory(second, id)).map((m) => m.text)).toEqual(['still here?']);
      again.close();
    } finally {
      await second.close();
    }
  });
});
