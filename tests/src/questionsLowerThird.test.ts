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
import { TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { RedisServer } from './helpers/RedisServer.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { frameShowing, isAccentBlue, LOWER_THIRD_ACCENT } from './helpers/frames.js';

describe('the highlighted question on air (upvote Q&A lower-third)', () => {
  let redisServer: RedisServer;
  let ingest: TestIngest;
  let transcoder: TranscoderProcess;
  let queue: Queue;
  let bot: Bot | undefined;
  let roomId = '';
  const clients: Room[] = [];

  beforeAll(async () => {
    redisServer = await RedisServer.startOwn();
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
    await redisServer?.remove();
  }, 60_000);

  const live = async (): Promise<LiveState> =>
    (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body.live;
  const hls = (path: string) => `${ingest.url}/hls/${roomId}/${path}`;

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
    const accent = LOWER_THIRD_ACCENT;
    const master = hls('master.m3u8');
    await frameShowing(master, accent, isAccentBlue, 'the lower-third accent');

    // Off air again: hidden, reported and gone from the picture.
    await hostQa.highlight(null);
    await waitFor(
      async () => ((await live()).layout?.lowerThird ?? null) === null,
      'the lower-third off',
      60_000,
    );
    await frameShowing(
      master,
      accent,
      ([, , blue]) => blue !== undefined && blue < 80,
      'the dark background',
    );
  }, 240_000);
});
