import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { LiveState, RoomInfo } from '@stagecast/protocol';
import { launchChromium, newPage } from './helpers/chromium.js';
import { frameShowing } from './helpers/frames.js';
import { RedisServer } from './helpers/RedisServer.js';
import { TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { connectionState, publish } from './helpers/whip.js';

/*
 * An H.264-only WHIP publisher (what OBS sends) in the broadcast: Chromium offers H.264 alone
 * (OpenH264), the stage takes it, and the compositor shows it from one of its H.264 slots,
 * through real mediasoup, FFmpeg and HLS. The picture is a canvas of one colour, looked for in
 * the 360p rung's frames.
 */

/** The canvas's colour, and the test for it after H.264, the composite and x264. */
const ORANGE = 'rgb(240, 130, 20)';
const isOrange = ([r, g, b]: number[]): boolean =>
  r !== undefined && g !== undefined && b !== undefined && r > 180 && g > 80 && g < 180 && b < 80;

describe('an H.264-only WHIP publisher in the composite', () => {
  let redisServer: RedisServer;
  let ingest: TestIngest;
  let transcoder: TranscoderProcess;
  let browser: Browser;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    redisServer = await RedisServer.startOwn();
    process.env.STAGECAST_SEGMENT_SECONDS = '2';
    ingest = await TestIngest.start({ redisUrl: redisServer.url });
    transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl: redisServer.url });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await browser?.close();
    await transcoder?.stop();
    await ingest?.close();
    await redisServer?.remove();
  }, 60_000);

  it(
    'goes live and its picture fills its tile (not black, not the name card)',
    { timeout: 240_000 },
    async () => {
      // On air at once: the publisher is the only tile of the picture.
      const { id } = await ingest.createRoom('OBS show', { stageEntry: 'onAir' });
      cleanups.push(() => ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'stop' }));
      const live = async (): Promise<LiveState> =>
        (await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.live;
      const page = await newPage(browser, cleanups);
      await page.goto(`${ingest.url}/healthz`);
      const token = await ingest.token(id, 'cohost', 'Otto OBS');
      const published = await publish(page, `${ingest.url}/whip/${id}`, token, {
        videoCodecs: ['video/H264'],
        colour: ORANGE,
      });
      expect(published.error).toBeUndefined();
      // The answer's video section is H.264 only: what the stage receives is H.264.
      const video = published.body.slice(published.body.indexOf('m=video'));
      expect(video).toMatch(/a=rtpmap:\d+ H264\/90000/);
      expect(video).not.toMatch(/VP8/);
      await waitFor(
        async () => (await connectionState(page)) === 'connected',
        'ICE and DTLS connected',
        30_000,
      );
      const peer = ingest.server.ctx.rooms.get(id)?.peers;
      const camera = await waitFor(
        () =>
          [...(peer?.values() ?? [])]
            .flatMap((p) => [...p.producers.values()])
            .find((p) => p.kind === 'video'),
        'the H.264 producer',
      );
      expect(camera.rtpParameters.codecs[0]?.mimeType).toBe('video/H264');

      expect((await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'start' })).status).toBe(200);
      await waitFor(
        async () => {
          const state = await live();
          return state.state === 'live' && state.layout?.tiles === 1;
        },
        'live with the publisher’s tile',
        90_000,
      );
      // The middle of the one tile (the 360p rung is half of 1280x720): the canvas's colour.
      const master = `${ingest.url}/hls/${id}/master.m3u8`;
      await frameShowing(
        master,
        { x: 300, y: 150, w: 40, h: 60 },
        isOrange,
        'the H.264 publisher’s picture',
        60_000,
      );
    },
  );
});
