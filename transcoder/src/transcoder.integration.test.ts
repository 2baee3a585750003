import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSITE_QUEUE,
  compositorChannel,
  DEFAULT_LADDER,
  DEFAULT_LAYOUT,
  INGEST_CHANNEL,
  type BroadcastProgress,
  type CompositeJobData,
  type CompositeJobResult,
  type CompositorMessage,
  type IngestMessage,
  type StageSnapshot,
} from '@stagecast/protocol';
import { startTranscoder } from './Transcoder.js';

// A database of this file's own, emptied first: jobs left by an interrupted run must not
// occupy the worker (pub/sub channels are shared by all databases; the room id is unique).
const redisUrl = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = '/10';
  return url.href;
})();
beforeAll(async () => {
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  await redis.quit();
});
const roomId = `t${Date.now().toString(36)}`;
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

const waitFor = async <T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string,
  ms = 20_000,
): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Plays ingest for one room: answers hello with `stage()`; records what the compositor sent. */
async function fakeIngest(
  room: string,
  stage: () => StageSnapshot,
): Promise<{ seen: CompositorMessage[]; send: (msg: IngestMessage) => Promise<number> }> {
  const pub = new Redis(redisUrl);
  const sub = new Redis(redisUrl);
  cleanup.push(() => {
    pub.disconnect();
    sub.disconnect();
    return Promise.resolve();
  });
  const seen: CompositorMessage[] = [];
  const send = (msg: IngestMessage) => pub.publish(compositorChannel(room), JSON.stringify(msg));
  sub.on('message', (_channel: string, raw: string) => {
    const msg = JSON.parse(raw) as CompositorMessage;
    if (msg.roomId !== room) return;
    seen.push(msg);
    if (msg.type === 'hello') void send({ type: 'stage', roomId: room, epoch: 1, stage: stage() });
    if (msg.type === 'bind')
      void send({ type: 'bindFailed', roomId: room, feedId: msg.feedId, message: 'no such producer' });
  });
  await sub.subscribe(INGEST_CHANNEL);
  return { seen, send };
}

describe('the transcoder as a BullMQ worker', () => {
  it('hello → stage; slate, then a new layout by commands (same FFmpeg, no discontinuity); stop → ENDLIST, VOD, ended', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stagecast-tx-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const transcoder = await startTranscoder({
      dataDir,
      redisUrl,
      concurrency: 1,
      logger: pino({ level: 'silent' }),
    });
    cleanup.push(() => transcoder.close());
    let stage: StageSnapshot = {
      roomName: 'Demo',
      tiles: [],
      audioProducerIds: [],
      activeSpeakerPeerId: null,
      layout: DEFAULT_LAYOUT,
      version: 1,
    };
    const { seen, send } = await fakeIngest(roomId, () => stage);

    const queue = new Queue<CompositeJobData, CompositeJobResult>(COMPOSITE_QUEUE, {
      connection: { url: redisUrl },
    });
    const events = new QueueEvents(COMPOSITE_QUEUE, { connection: { url: redisUrl } });
    cleanup.push(
      () => queue.close(),
      () => events.close(),
    );
    const bad = await queue.add('composite', { roomId: '../x' } as unknown as CompositeJobData, {
      attempts: 3,
    });
    await waitFor(async () => (await bad.getState()) === 'failed', 'bad data to fail');
    expect((await queue.getJob(bad.id ?? ''))?.attemptsMade).toBe(1);

    const data: CompositeJobData = {
      roomId,
      roomName: 'Demo',
      broadcastId: 'b1',
      startedAt: new Date().toISOString(),
      record: true,
      ladder: DEFAULT_LADDER.map((r) => ({
        ...r,
        width: r.width / 2 + ((r.width / 2) % 2),
        height: r.height / 2,
      })),
      segmentSeconds: 1,
      liveWindow: 6,
      burnClock: false,
      frameRate: 15,
      slots: { video: 2, audio: 2 },
    };
    const job = await queue.add('composite', data, { jobId: `${roomId}.b1` });
    const hls = join(dataDir, 'hls', roomId);
    await waitFor(async () => {
      const fresh = await queue.getJob(job.id ?? '');
      const progress = fresh?.progress as { state?: string } | undefined;
      return progress?.state === 'live';
    }, 'the job to report live');
    const master = await readFile(join(hls, 'master.m3u8'), 'utf8');
    expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(3);

    // Someone joins with the camera off: the running FFmpeg draws their card.
    stage = {
      ...stage,
      tiles: [{ peerId: 'p1', name: 'Alice', source: 'camera', videoProducerId: null }],
      activeSpeakerPeerId: 'p1',
      version: 2,
    };
    const changedAt = Date.now();
    await send({ type: 'stage', roomId, epoch: 1, stage });
    await waitFor(
      async () =>
        ((await queue.getJob(job.id ?? ''))?.progress as { tiles?: number } | undefined)?.tiles === 1,
      'the new layout on air',
    );
    console.log(`layout on air ${Date.now() - changedAt} ms after the stage changed`);
    const fresh = await queue.getJob(job.id ?? '');
    expect(fresh?.progress).toMatchObject({
      tiles: 1,
      session: 1,
      layout: { kind: 'grid', tiles: 1, peerIds: ['p1'] },
    });
    // A second person, the speaker layout, then a speaker change and a host's spotlight:
    // each is commands to the same FFmpeg (session stays 1), each reported on air.
    const onAir = async (
      check: (p: BroadcastProgress) => boolean,
      what: string,
    ): Promise<BroadcastProgress> =>
      waitFor(
        async () => {
          const p = (await queue.getJob(job.id ?? ''))?.progress as BroadcastProgress | undefined;
          return p && check(p) ? p : null;
        },
        what,
        10_000,
      );
    const bob = { peerId: 'p2', name: 'Bob', source: 'camera' as const, videoProducerId: null };
    stage = {
      ...stage,
      tiles: [...stage.tiles, bob],
      layout: { mode: 'speaker', pinnedPeerId: null },
      version: 3,
    };
    await send({ type: 'stage', roomId, epoch: 1, stage });
    await onAir((p) => p.layout.kind === 'speaker' && p.layout.peerIds[0] === 'p1', 'Alice large');
    stage = { ...stage, activeSpeakerPeerId: 'p2', version: 4 };
    const spokeAt = Date.now();
    await send({ type: 'stage', roomId, epoch: 1, stage });
    await new Promise((r) => setTimeout(r, 1000));
    // A new voice is held back for 2 s, so a short reply does not swap the picture.
    expect(((await queue.getJob(job.id ?? ''))?.progress as BroadcastProgress).layout.peerIds[0]).toBe('p1');
    await onAir((p) => p.layout.peerIds[0] === 'p2', 'Bob large after holding the floor');
    expect(Date.now() - spokeAt).toBeGreaterThanOrEqual(2000);
    stage = { ...stage, layout: { mode: 'spotlight', pinnedPeerId: 'p1' }, version: 5 };
    await send({ type: 'stage', roomId, epoch: 1, stage });
    const spot = await onAir(
      (p) => p.layout.kind === 'spotlight' && p.layout.peerIds[0] === 'p1',
      'the spotlight on Alice',
    );
    expect(spot).toMatchObject({
      session: 1,
      choice: { mode: 'spotlight', pinnedPeerId: 'p1' },
      quality: { level: 0, reason: null },
    });
    // Ends a segment or two later: still one FFmpeg run, so still no discontinuity.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await readFile(join(hls, data.ladder[0]!.name, 'index.m3u8'), 'utf8')).not.toContain(
      '#EXT-X-DISCONTINUITY\n',
    );

    await send({ type: 'stop', roomId });
    const result = await job.waitUntilFinished(events, 30_000);
    expect(result).toMatchObject({ broadcastId: 'b1', sessions: 1, recorded: true });
    expect(result.segments).toBeGreaterThan(2);
    for (const r of data.ladder)
      expect(await readFile(join(hls, r.name, 'index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
    const vod = await readFile(
      join(dataDir, 'vod', roomId, 'b1', data.ladder[1]!.name, 'index.m3u8'),
      'utf8',
    );
    expect(vod).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    await waitFor(() => seen.find((m) => m.type === 'ended'), 'ended');
    expect(seen[0]?.type).toBe('hello');
    expect(seen.some((m) => m.type === 'bind')).toBe(false); // nobody sent media
    expect(seen.find((m) => m.type === 'ended')).toEqual({
      type: 'ended',
      roomId,
      broadcastId: 'b1',
      ok: true,
      recordingUrl: `/vod/${roomId}/b1/master.m3u8`,
    });
    await transcoder.close();
  }, 90_000);

  it('a broadcast with nobody on stage ends by itself, with ENDLIST and ended', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stagecast-tx-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const transcoder = await startTranscoder({
      dataDir,
      redisUrl,
      concurrency: 1,
      emptyStageTimeoutMs: 4000,
      logger: pino({ level: 'silent' }),
    });
    cleanup.push(() => transcoder.close());
    const room = `${roomId}e`;
    const { seen } = await fakeIngest(room, () => ({
      roomName: 'Empty',
      tiles: [],
      audioProducerIds: [],
      activeSpeakerPeerId: null,
      layout: DEFAULT_LAYOUT,
      version: 1,
    }));
    const queue = new Queue<CompositeJobData, CompositeJobResult>(COMPOSITE_QUEUE, {
      connection: { url: redisUrl },
    });
    const events = new QueueEvents(COMPOSITE_QUEUE, { connection: { url: redisUrl } });
    cleanup.push(
      () => queue.close(),
      () => events.close(),
    );
    const data: CompositeJobData = {
      roomId: room,
      roomName: 'Empty',
      broadcastId: 'b2',
      startedAt: new Date().toISOString(),
      record: false,
      ladder: [{ name: '180p', width: 320, height: 180, videoKbps: 300, audioKbps: 64 }],
      segmentSeconds: 1,
      liveWindow: 6,
      burnClock: false,
      frameRate: 15,
      slots: { video: 2, audio: 2 },
    };
    const job = await queue.add('composite', data, { jobId: `${room}.b2` });
    const result = await job.waitUntilFinished(events, 30_000);
    expect(result).toMatchObject({ broadcastId: 'b2', recorded: false });
    expect(await readFile(join(dataDir, 'hls', room, '180p', 'index.m3u8'), 'utf8')).toContain(
      '#EXT-X-ENDLIST',
    );
    expect(seen.find((m) => m.type === 'ended')).toEqual({
      type: 'ended',
      roomId: room,
      broadcastId: 'b2',
      ok: true,
    });
  }, 60_000);
});
