import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomInfo } from '@stagecast/protocol';
import { StagecastClientError, type Room } from '@stagecast/sdk';
import { Bot } from './bot/Bot.js';
import { TestIngest, waitFor } from './helpers/servers.js';

let ingest: TestIngest;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  ingest = await TestIngest.start();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await ingest?.close();
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof StagecastClientError ? error.code : String(error);
  }
}

describe('stage', () => {
  it('a bot publisher appears on stage and its RTP reaches a server-side consumer', async () => {
    const { id } = await ingest.createRoom('Bot stage');
    const host = await ingest.join(id, 'host', 'Host');
    cleanups.push(() => host.close());
    const joined = new Promise<string>((resolve) =>
      host.on('stageChanged', (stage) => stage.find((p) => p.name === 'Robo') && resolve('ok')),
    );

    const bot = await Bot.start({
      url: ingest.url,
      token: await ingest.token(id, 'cohost', 'Robo'),
      name: 'Robo',
    });
    cleanups.push(() => bot.stop());
    await joined;

    const info = await waitFor(async () => {
      const { body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`);
      const peer = body.stage.find((p) => p.name === 'Robo');
      return peer && peer.producers.length === 2 ? peer : null;
    }, 'both bot producers in GET /api/rooms/:id');
    expect(info.role).toBe('cohost');
    expect(info.producers.map((p) => `${p.kind}:${p.source}`).sort()).toEqual(['audio:mic', 'video:camera']);

    // A real mediasoup consumer on a DirectTransport counts the RTP bytes it receives.
    const router = ingest.server.ctx.rooms.get(id)?.router;
    if (!router) throw new Error('the room has no stage on this ingest');
    const direct = await router.createDirectTransport();
    cleanups.push(() => direct.close());
    const received = { video: 0, audio: 0 };
    for (const kind of ['video', 'audio'] as const) {
      const producerId = bot.producerIds[kind];
      const consumer = await direct.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
      consumer.on('rtp', (packet) => {
        received[kind] += packet.length;
      });
    }
    await waitFor(
      () => received.video > 20_000 && received.audio > 2_000,
      'RTP bytes to grow on both consumers',
    );
    const before = { ...received };
    await waitFor(
      () => received.video > before.video && received.audio > before.audio,
      'bytes to keep growing',
    );
  });

  it('a viewer can join but cannot publish, and nothing is created', async () => {
    const { id } = await ingest.createRoom('Viewer stage');
    const viewer: Room = await ingest.join(id, 'viewer', 'Watcher');
    cleanups.push(() => viewer.close());
    expect(viewer.role).toBe('viewer');

    expect(await refusal(viewer.request('stage:createTransport', { direction: 'send' }))).toBe('FORBIDDEN');
    expect(await refusal(viewer.request('stage:createPlainTransport', {}))).toBe('FORBIDDEN');
    expect(
      await refusal(
        viewer.request('stage:produce', {
          transportId: 'made-up',
          kind: 'video',
          source: 'camera',
          rtpParameters: { codecs: [], encodings: [] },
        }),
      ),
    ).toBe('FORBIDDEN');

    const { body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`);
    expect(body.stage).toEqual([]);
    expect(body.viewers).toBe(1);
    const room = ingest.server.ctx.rooms.get(id);
    expect(room?.allProducers()).toEqual([]);
    expect([...(room?.peers.values() ?? [])].every((p) => p.transports.size === 0)).toBe(true);
  });

  it('malformed requests get BAD_REQUEST and the connection survives', async () => {
    const { id } = await ingest.createRoom('Bad input');
    const host = await ingest.join(id, 'host', 'Host');
    cleanups.push(() => host.close());
    const send = (event: string, payload: unknown) =>
      new Promise<unknown>((resolve) => {
        (host.socket.emit as unknown as (e: string, p: unknown, ack: (r: unknown) => void) => void)(
          event,
          payload,
          resolve,
        );
      });
    for (const [event, payload] of [
      ['stage:createTransport', { direction: 'sideways' }],
      ['stage:createTransport', null],
      ['stage:produce', { transportId: 42 }],
      ['stage:consume', 'nonsense'],
      ['stage:setProducerPaused', { producerId: 'x'.repeat(1000), paused: 'yes' }],
    ] as const) {
      expect(await send(event, payload)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    // Events without an ack are ignored, not fatal.
    (host.socket.emit as unknown as (e: string, p: unknown) => void)('stage:createTransport', {
      direction: 'send',
    });
    const transport = await host.request('stage:createTransport', { direction: 'send' });
    expect(transport.id).toBeTruthy();

    // An oversized message closes only that connection (maxHttpBufferSize), never the server.
    const big = await ingest.join(id, 'viewer', 'Big');
    cleanups.push(() => big.close());
    const dropped = new Promise<void>((resolve) => big.socket.once('disconnect', () => resolve()));
    (big.socket.emit as unknown as (e: string, p: unknown, ack: () => void) => void)(
      'chat:send',
      { clientId: 'c1', text: 'x'.repeat(200_000) },
      () => undefined,
    );
    await dropped;
    expect((await fetch(`${ingest.url}/healthz`)).status).toBe(200);
    expect(host.connected).toBe(true);
  });
});
