import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import {
  COMPOSITE_QUEUE,
  type BroadcastProgress,
  type LiveState,
  type Question,
  type RoomInfo,
} from '@stagecast/protocol';
import { QuestionsClient, type Room } from '@stagecast/sdk';
import { freePort, TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { RedisServer } from './helpers/RedisServer.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { fetchPlaylist, segmentFile } from './helpers/hls.js';

const run = promisify(execFile);

describe('the highlighted question on air (upvote Q&A lower-third)', () => {
  let redisServer: RedisServer;
  let redisDir = '';
  let ingest: TestIngest;
  let transcoder: TranscoderProcess;
  let queue: Queue;
  let bot: Bot | undefined;
  let roomId = '';
  const clients: Room[] = [];

  beforeAll(async () => {
    // A Redis of its own: the transcoder takes every job of its queue, so it must see only this test's.
    redisDir = await mkdtemp(join(tmpdir(), 'stagecast-redis-'));
    redisServer = new RedisServer(await freePort(), redisDir);
    await redisServer.start();
    process.env.STAGECAST_SEGMENT_SECONDS = '2';
    ingest = await TestIngest.start({ redisUrl: redisServer.url });
    transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl: redisServer.url });
    queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redisServer.url } });
    roomId = (await ingest.createRoom('Town hall')).id;
    bot = await Bot.start({
      url: ingest.url,
      token: await ingest.token(roomId, 'cohost', 'Alice'),
      name: 'Alice',
      webm: await botClip('Alice'),
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await bot?.stop();
    await ingest?.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'stop' }).catch(() => undefined);
    await transcoder?.stop();
    await queue?.close();
    await ingest?.close();
    await redisServer?.shutdown().catch(() => redisServer.kill());
    await rm(redisDir, { recursive: true, force: true });
  }, 60_000);

  const live = async (): Promise<LiveState> =>
    (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body.live;
  const hls = (path: string) => `${ingest.url}/hls/${roomId}/${path}`;

  /**
   * Mean RGB of a rectangle of the first frame of the newest 360p segment, once at least two
   * more than `after` are listed: that segment started after the call.
   */
  async function sample(after: number, rect: { x: number; y: number; w: number; h: number }) {
    const master = await waitFor(() => fetchPlaylist(hls('master.m3u8')), 'the master playlist');
    const variant = (master.manifest.playlists ?? []).find((p) => p.attributes.RESOLUTION?.height === 360);
    if (!variant) throw new Error('no 360p rung');
    const url = new URL(variant.uri, hls('master.m3u8')).toString();
    const playlist = await waitFor(
      async () => {
        const p = await fetchPlaylist(url);
        const total = p ? (p.manifest.mediaSequence ?? 0) + p.manifest.segments.length : 0;
        return p && total >= after + 2 ? p : null;
      },
      'two more 360p segments',
      60_000,
    );
    const segment = playlist.manifest.segments.at(-1);
    if (!segment) throw new Error('no segment');
    const file = await segmentFile(segment, url);
    try {
      const { stdout } = await run(
        'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          file,
          '-frames:v',
          '1',
          '-vf',
          `crop=${rect.w}:${rect.h}:${rect.x}:${rect.y}`,
        ].concat(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']),
        { encoding: 'buffer', timeout: 30_000 },
      );
      const mean = [0, 0, 0];
      for (let i = 0; i < stdout.length; i++) mean[i % 3]! += stdout[i]!;
      const n = stdout.length / 3;
      return {
        total: (playlist.manifest.mediaSequence ?? 0) + playlist.manifest.segments.length,
        rgb: mean.map((v) => Math.round(v / n)),
      };
    } finally {
      await rm(dirname(file), { recursive: true, force: true });
    }
  }

  async function segmentsSoFar(): Promise<number> {
    return (await sample(0, { x: 0, y: 0, w: 2, h: 2 })).total;
  }

  it('a highlighted (upvote Q&A) question reaches the composite as a lower-third, set by commands on the running FFmpeg', async () => {
    const host = await ingest.join(roomId, 'host', 'Hana');
    const viewer = await ingest.join(roomId, 'viewer', 'Vik');
    clients.push(host, viewer);
    const hostQa = new QuestionsClient(host);
    const viewerQa = new QuestionsClient(viewer);
    const started = await ingest.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'start' });
    expect(started.status).toBe(200);
    await waitFor(async () => (await live()).state === 'live' && (await live()).layout, 'live', 90_000);
    expect((await live()).layout?.lowerThird ?? null).toBeNull();

    const question = await viewerQa.ask('Will the recording be shared with everyone afterwards?');
    const told = nextEvent<[Question | null]>((l) => viewerQa.on('highlighted', l));
    await hostQa.highlight(question.id);
    expect((await told)[0]?.text).toBe(question.text);
    // The picture on air reports it once the compositor took the commands.
    await waitFor(
      async () => (await live()).layout?.lowerThird === question.text,
      'the lower-third on air',
      60_000,
    );
    // Commands, not a new FFmpeg: still the first run.
    const job = await queue.getJob(`${roomId}.${(await live()).broadcastId ?? ''}`);
    expect((job?.progress as BroadcastProgress).session).toBe(1);

    // The 360p rung (half of 1280x720): the accent bar on the lower-third's left edge is blue,
    // where the background is otherwise dark.
    const accent = { x: 16, y: 310, w: 4, h: 24 };
    const shown = await sample(await segmentsSoFar(), accent);
    const [r, g, bl] = shown.rgb as [number, number, number];
    expect(bl, `rgb ${shown.rgb.join(',')}`).toBeGreaterThan(150);
    expect(bl - r, `rgb ${shown.rgb.join(',')}`).toBeGreaterThan(100);
    expect(g).toBeLessThan(bl);

    // Off air again: hidden, reported and gone from the picture.
    await hostQa.highlight(null);
    await waitFor(
      async () => ((await live()).layout?.lowerThird ?? null) === null,
      'the lower-third off',
      60_000,
    );
    const gone = await sample(await segmentsSoFar(), accent);
    expect(gone.rgb[2], `rgb ${gone.rgb.join(',')}`).toBeLessThan(80);
  }, 240_000);
});
