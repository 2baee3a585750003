import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import {
  INGEST_CHANNEL,
  type CompositorMessage,
  type ConnectErrorData,
  type OnAirLayout,
  type RoomInfo,
  type StageInvite,
} from '@stagecast/protocol';
import { connect, type Room } from '@stagecast/sdk';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { nextEvent, refusal } from './helpers/events.js';

/**
 * Two ingest processes behind one Redis, as behind a load balancer, and a real compositor:
 * the stage is on A, viewers come and go on B. Only A, the owner of the room's media, may
 * describe the stage to the compositor; B must never switch the broadcast to its own (empty)
 * stage, the slate.
 */
let a: TestIngest;
let b: TestIngest | undefined;
let transcoder: TranscoderProcess;
let redis: Redis;
let redisUrl = '';
let roomId = '';
const bots: Bot[] = [];
const clients: Room[] = [];
const BOT_NAMES = ['Alice', 'Bob'] as const;

beforeAll(async () => {
  redisUrl = await ownRedisDatabase(10);
  [a, b] = await Promise.all([TestIngest.start({ redisUrl }), TestIngest.start({ redisUrl })]);
  redis = new Redis(redisUrl);
  transcoder = TranscoderProcess.start({ dataDir: a.dataDir, redisUrl });
  roomId = (await a.createRoom('Two servers')).id;
  await Promise.all(BOT_NAMES.map((name) => botClip(name)));
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  for (const bot of bots) await bot.stop();
  await a?.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'stop' }).catch(() => undefined);
  await transcoder?.stop();
  await Promise.all([a?.close(), b?.close()]);
  await redis?.quit();
}, 60_000);

beforeEach(() => {
  onTestFailed(() =>
    console.error(`--- transcoder (pid ${transcoder.pid}) ---\n${transcoder.output.join('')}`),
  );
});

const server = (): TestIngest => {
  if (!b) throw new Error('B is not running');
  return b;
};

async function onAir(): Promise<OnAirLayout | undefined> {
  return (await a.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body.live.layout;
}

/** Viewer tokens by name, so a viewer can connect again as the same person. */
const viewerTokens = new Map<string, string>();

async function joinViewer(at: TestIngest, name: string): Promise<Room> {
  const token = await at.token(roomId, 'viewer', name);
  viewerTokens.set(name, token);
  const room = await connect({ url: at.url, token, reconnect: false });
  clients.push(room);
  return room;
}

/** What a compositor asks every 30 s ("who is on stage?"), asked now: every ingest hears it. */
async function askForStage(): Promise<void> {
  const msg: CompositorMessage = { type: 'stageRequest', roomId };
  await redis.publish(INGEST_CHANNEL, JSON.stringify(msg));
}

/** The `connect_error` data a raw Socket.IO client gets from `at` with this token. */
async function handshakeRefusal(at: TestIngest, token: string): Promise<ConnectErrorData> {
  const socket = io(at.url, { auth: { token }, transports: ['websocket'], reconnection: false });
  try {
    return await new Promise<ConnectErrorData>((resolve, reject) => {
      socket.once('connect', () => reject(new Error('the connection was accepted')));
      socket.once('connect_error', (err: Error & { data?: ConnectErrorData }) =>
        err.data ? resolve(err.data) : reject(err),
      );
    });
  } finally {
    socket.disconnect();
  }
}

describe('one ingest owns a room’s media', () => {
  it('stage on A, viewers coming and going on B: the composite keeps the stage and never goes to the slate', async () => {
    for (const name of BOT_NAMES) {
      bots.push(
        await Bot.start({
          url: a.url,
          token: await a.token(roomId, 'cohost', name),
          name,
          webm: await botClip(name),
        }),
      );
    }
    const started = await a.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'start' });
    expect(started.status).toBe(200);
    await waitFor(async () => (await onAir())?.tiles === 2, 'both bots on air', 90_000, 200);
    // From now on B holds the room too (viewers), so it hears every compositor request.
    const early = await joinViewer(server(), 'Early viewer');

    // A watch on the picture the whole time viewers come and go on B.
    const seen: OnAirLayout[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const layout = await onAir();
        if (layout) seen.push(layout);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    for (let round = 0; round < 8; round++) {
      const viewers = await Promise.all([1, 2, 3].map((i) => joinViewer(server(), `Viewer ${round}.${i}`)));
      await askForStage();
      await new Promise((r) => setTimeout(r, 1500));
      for (const viewer of viewers) viewer.close();
      await askForStage();
      await new Promise((r) => setTimeout(r, 1000));
    }
    watching = false;
    await watch;
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((layout) => layout.kind === 'slate' || layout.tiles !== 2)).toEqual([]);
    // A owns the room's media; B, holding only viewers, never took it nor made a router for them.
    expect(a.server.ctx.media.epochOf(roomId)).toBeGreaterThan(0);
    expect(server().server.ctx.media.epochOf(roomId)).toBeUndefined();
    expect(server().server.ctx.rooms.get(roomId)?.peers.size).toBeGreaterThan(0);
    expect(server().server.ctx.rooms.get(roomId)?.router).toBeUndefined();
    early.close();
  }, 240_000);

  it('a stage role connecting to B is sent to A (MEDIA_ELSEWHERE with A’s URL); the SDK goes there by itself', async () => {
    const token = await a.token(roomId, 'cohost', 'Carol');
    expect(await handshakeRefusal(server(), token)).toEqual({ code: 'MEDIA_ELSEWHERE', ownerUrl: a.url });
    const carol = await server().join(roomId, 'cohost', 'Carol');
    clients.push(carol);
    expect(a.server.ctx.rooms.get(roomId)?.peers.has(carol.self.peerId)).toBe(true);
    expect(server().server.ctx.rooms.get(roomId)?.peers.has(carol.self.peerId) ?? false).toBe(false);
    // Carol has no camera: a name tile, on air through A.
    await waitFor(
      async () => (await onAir())?.peerIds.includes(carol.self.peerId),
      'Carol on air',
      60_000,
      200,
    );
    carol.close();
  }, 120_000);

  it('a viewer on B accepting an invitation is told to accept from A, where the stage is; the invitation stays open', async () => {
    const host = await a.join(roomId, 'host', 'Host');
    clients.push(host);
    const viewer = await joinViewer(server(), 'Dana');
    const invited = nextEvent<[StageInvite]>((listener) => {
      viewer.socket.on('stage:invited', listener);
      return () => viewer.socket.off('stage:invited', listener);
    });
    await host.request('stage:invite', { peerId: viewer.self.peerId });
    const [invite] = await invited;
    const refused = await refusal(
      viewer.request('stage:respondInvite', { inviteId: invite.inviteId, accept: true }),
    );
    expect(refused).toMatchObject({ code: 'MEDIA_ELSEWHERE', ownerUrl: a.url });
    expect(viewer.role).toBe('viewer');
    // The same person, connected to A instead, accepts the same invitation.
    viewer.close();
    const again = await connect({ url: a.url, token: viewerTokens.get('Dana') ?? '', reconnect: false });
    clients.push(again);
    expect(await again.request('stage:respondInvite', { inviteId: invite.inviteId, accept: true })).toEqual({
      role: 'guest',
    });
    again.close();
    host.close();
  }, 60_000);

  it('once A is gone, the lease is free and B takes the room’s stage', async () => {
    await a.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'stop' });
    for (const bot of bots.splice(0)) await bot.stop();
    const epochOfA = a.server.ctx.media.epochOf(roomId) ?? 0;
    await a.server.close();
    const host = await server().join(roomId, 'host', 'Host at B');
    clients.push(host);
    expect(server().server.ctx.rooms.get(roomId)?.peers.has(host.self.peerId)).toBe(true);
    expect(server().server.ctx.media.epochOf(roomId)).toBeGreaterThan(epochOfA);
    // The stage is served by B now: the host's device gets B's router.
    expect((await host.request('stage:capabilities', {})).codecs?.length).toBeGreaterThan(0);
    expect(server().server.ctx.rooms.get(roomId)?.router).toBeDefined();
  }, 60_000);
});
