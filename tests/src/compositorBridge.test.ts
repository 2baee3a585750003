import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  compositorChannel,
  DEFAULT_LAYOUT,
  INGEST_CHANNEL,
  type CompositorMessage,
  type IngestMessage,
  type PlainTransportInfo,
  type RtpInput,
} from '@stagecast/protocol';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { RawClient } from './helpers/rawClient.js';

/**
 * Ingest's side of the compositor handshake against a fake compositor: Redis pub/sub for the
 * messages, UDP sockets standing for the relay, RTP sent into a plain-transport producer.
 */

let ingest: TestIngest;
let pub: Redis;
let sub: Redis;
let roomId = '';
let host: RawClient;
let sender: UdpSocket;
let senderTimer: NodeJS.Timeout | undefined;
const heard: IngestMessage[] = [];
const relays: Relay[] = [];
const producers = { audio: '', video: '' };
const SSRC = { audio: 11111111, video: 22222222 };
const PT = { audio: 100, video: 101 };

/** One feed's relay ports: counts the RTP that arrives, by SSRC. */
class Relay {
  readonly packets: number[] = [];
  private constructor(
    readonly rtp: UdpSocket,
    readonly rtcp: UdpSocket,
  ) {
    rtp.on('message', (msg) => this.packets.push(msg.readUInt32BE(8)));
  }

  static async open(): Promise<Relay> {
    const bind = async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return socket;
    };
    const relay = new Relay(await bind(), await bind());
    relays.push(relay);
    return relay;
  }

  get ports(): { rtpPort: number; rtcpPort: number } {
    return { rtpPort: this.rtp.address().port, rtcpPort: this.rtcp.address().port };
  }

  countOf(ssrc: number): number {
    return this.packets.filter((s) => s === ssrc).length;
  }

  close(): void {
    this.rtp.close();
    this.rtcp.close();
  }
}

function rtpPacket(payloadType: number, seq: number, ssrc: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = payloadType;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 3000) >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

// A VP8 key frame's first packet (payload descriptor S=1, frame tag P=0, start code, 640x360):
// mediasoup forwards video to a new consumer only from a key frame on.
const VP8_KEY_FRAME = Buffer.from([
  0x10, 0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0, 0, 0, 0, 0,
]);
const OPUS_FRAME = Buffer.from([0xfc, 0xff, 0xfe]);

const send = (msg: CompositorMessage) => pub.publish(INGEST_CHANNEL, JSON.stringify(msg));

/** The next message of `type` heard from now on. */
function next<T extends IngestMessage['type']>(
  type: T,
  match: (msg: Extract<IngestMessage, { type: T }>) => boolean = () => true,
) {
  const from = heard.length;
  return waitFor(
    () =>
      heard
        .slice(from)
        .find(
          (m): m is Extract<IngestMessage, { type: T }> =>
            m.type === type && match(m as Extract<IngestMessage, { type: T }>),
        ),
    `a ${type} message`,
    10_000,
    20,
  );
}

async function transportCount(): Promise<number> {
  const router = ingest.server.ctx.rooms.get(roomId)?.router;
  if (!router) throw new Error('the room has no stage on this ingest');
  return (await router.dump()).transportIds.length;
}

async function bind(feedId: string, producerId: string, relay: Relay): Promise<RtpInput> {
  const bound = next('bound', (m) => m.feedId === feedId);
  await send({ type: 'bind', roomId, feedId, host: '127.0.0.1', producerId, ...relay.ports });
  return (await bound).input;
}

beforeAll(async () => {
  const redisUrl = await ownRedisDatabase(5);
  ingest = await TestIngest.start({ redisUrl });
  pub = new Redis(redisUrl);
  sub = new Redis(redisUrl);
  roomId = (await ingest.createRoom('Bridge')).id;
  sub.on('message', (channel: string, raw: string) => {
    if (channel === compositorChannel(roomId)) heard.push(JSON.parse(raw) as IngestMessage);
  });
  await sub.subscribe(compositorChannel(roomId));

  host = await RawClient.connect(ingest.url, await ingest.token(roomId, 'host', 'Host'), roomId);
  const transport = await host.request('stage:createPlainTransport', {});
  if (!transport.ok) throw new Error(transport.error.code);
  const { id: transportId, ip, port } = transport.data as PlainTransportInfo;
  for (const kind of ['audio', 'video'] as const) {
    const produced = await host.request('stage:produce', {
      transportId,
      kind,
      source: kind === 'audio' ? 'mic' : 'camera',
      rtpParameters:
        kind === 'audio'
          ? {
              codecs: [{ mimeType: 'audio/opus', payloadType: PT.audio, clockRate: 48000, channels: 2 }],
              encodings: [{ ssrc: SSRC.audio }],
            }
          : {
              codecs: [{ mimeType: 'video/VP8', payloadType: PT.video, clockRate: 90000 }],
              encodings: [{ ssrc: SSRC.video }],
            },
    });
    if (!produced.ok) throw new Error(produced.error.code);
    producers[kind] = (produced.data as { producerId: string }).producerId;
  }
  // The producers' RTP, as a bot would send it (every packet of video a key frame: each one will do).
  sender = createSocket('udp4');
  let seq = 0;
  senderTimer = setInterval(() => {
    seq++;
    sender.send(rtpPacket(PT.audio, seq, SSRC.audio, OPUS_FRAME), port, ip);
    sender.send(rtpPacket(PT.video | 0x80, seq, SSRC.video, VP8_KEY_FRAME), port, ip);
  }, 20);
});

afterAll(async () => {
  clearInterval(senderTimer);
  sender?.close();
  for (const relay of relays) relay.close();
  host?.close();
  await ingest?.close();
  await sub?.quit();
  await pub?.quit();
});

describe('compositor handshake (ingest side)', () => {
  it('answers hello with the stage and the layout choice', async () => {
    const stage = next('stage');
    await send({ type: 'hello', roomId, jobId: `${roomId}.test` });
    const { stage: snapshot } = await stage;
    expect(snapshot.version).toBeGreaterThan(0);
    expect(snapshot.layout).toEqual(DEFAULT_LAYOUT);
    expect(snapshot.tiles).toEqual([
      {
        peerId: host.snapshot.self.peerId,
        name: 'Host',
        source: 'camera',
        videoProducerId: producers.video,
        videoCodec: 'vp8',
      },
    ]);
    expect(snapshot.audioProducerIds).toEqual([producers.audio]);
  });

  it('binds a feed per producer, sends its RTP at once, and releases it', async () => {
    const base = await transportCount();
    const audioRelay = await Relay.open();
    const videoRelay = await Relay.open();
    const audio = await bind('a1', producers.audio, audioRelay);
    expect(audio).toMatchObject({
      producerId: producers.audio,
      kind: 'audio',
      codec: 'opus',
      clockRate: 48000,
      ...audioRelay.ports,
    });
    const video = await bind('v1', producers.video, videoRelay);
    expect(video).toMatchObject({
      producerId: producers.video,
      kind: 'video',
      codec: 'VP8',
      clockRate: 90000,
      ...videoRelay.ports,
    });
    expect(await transportCount()).toBe(base + 2);

    // No `listening` step: the consumers are not paused.
    await waitFor(() => audioRelay.countOf(audio.ssrc) >= 5, 'audio RTP at the relay');
    await waitFor(() => videoRelay.countOf(video.ssrc) >= 5, 'video RTP at the relay');

    // keyFrame for a known video feed, an audio feed and an unknown feed: no answer, no harm.
    await send({ type: 'keyFrame', roomId, feedId: 'v1' });
    await send({ type: 'keyFrame', roomId, feedId: 'a1' });
    await send({ type: 'keyFrame', roomId, feedId: 'nope' });

    await send({ type: 'release', roomId, feedId: 'a1' });
    await waitFor(async () => (await transportCount()) === base + 1, 'the audio feed to close');
    await new Promise((r) => setTimeout(r, 200));
    const arrived = audioRelay.countOf(audio.ssrc);
    await new Promise((r) => setTimeout(r, 400));
    expect(audioRelay.countOf(audio.ssrc)).toBe(arrived);
    expect(videoRelay.countOf(video.ssrc)).toBeGreaterThan(5);

    await send({ type: 'release', roomId, feedId: 'v1' });
    await waitFor(async () => (await transportCount()) === base, 'the video feed to close');
  });

  it('answers bindFailed for a producer not in the room, and ignores malformed messages', async () => {
    const base = await transportCount();
    const relay = await Relay.open();
    const failed = next('bindFailed', (m) => m.feedId === 'gone');
    await send({
      type: 'bind',
      roomId,
      feedId: 'gone',
      host: '127.0.0.1',
      producerId: 'no-such-producer',
      ...relay.ports,
    });
    expect((await failed).message).toMatch(/producer/);
    expect(await transportCount()).toBe(base);

    // The old session handshake: not a message any more. (Its ports are not empty: an ingest of
    // the old version elsewhere on this machine would answer an empty bind for any room.)
    const from = heard.length;
    const ports = [{ producerId: producers.audio, ...relay.ports }];
    await pub.publish(
      INGEST_CHANNEL,
      JSON.stringify({ type: 'bind', roomId, sessionId: 's1', host: '127.0.0.1', ports }),
    );
    await pub.publish(INGEST_CHANNEL, JSON.stringify({ type: 'listening', roomId, sessionId: 's1' }));
    await pub.publish(INGEST_CHANNEL, '{not json');
    await new Promise((r) => setTimeout(r, 300));
    expect(heard.slice(from)).toEqual([]);
    expect(await transportCount()).toBe(base);
  });

  it('closes a feed whose producer closes', async () => {
    const base = await transportCount();
    const relay = await Relay.open();
    const { producerId } = { producerId: producers.video };
    await bind('v2', producerId, relay);
    expect(await transportCount()).toBe(base + 1);
    const closed = await host.request('stage:closeProducer', { producerId });
    expect(closed.ok).toBe(true);
    await waitFor(async () => (await transportCount()) === base, 'the feed of the closed producer to close');
    // The stage follows: the camera tile has no picture any more.
    const stage = await next('stage', (m) => m.stage.tiles[0]?.videoProducerId === null);
    expect(stage.stage.audioProducerIds).toEqual([producers.audio]);
  });

  it('releases every feed of the room on hello (a new compositor) and on ended', async () => {
    const base = await transportCount();
    await bind('a2', producers.audio, await Relay.open());
    await bind('a3', producers.audio, await Relay.open());
    expect(await transportCount()).toBe(base + 2);
    const stage = next('stage');
    await send({ type: 'hello', roomId, jobId: `${roomId}.again` });
    await stage;
    expect(await transportCount()).toBe(base);

    await bind('a4', producers.audio, await Relay.open());
    // A repeated bind of the same feed replaces it.
    await bind('a4', producers.audio, await Relay.open());
    expect(await transportCount()).toBe(base + 1);
    await send({ type: 'ended', roomId, broadcastId: 'not-this-one', ok: true });
    await waitFor(async () => (await transportCount()) === base, 'the feeds to close on ended');
  });

  it('re-sends the stage when the layout choice changes', async () => {
    const before = next('stage');
    await send({ type: 'stageRequest', roomId });
    const { version } = (await before).stage;
    const changed = next('stage', (m) => m.stage.layout.mode === 'grid');
    const res = await ingest.api('PUT', `/api/rooms/${roomId}/layout`, { mode: 'grid', pinnedPeerId: null });
    expect(res.status).toBe(200);
    expect((await changed).stage.version).toBeGreaterThan(version);
  });
});
