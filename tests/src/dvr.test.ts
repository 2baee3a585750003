import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hlsLayout, hlsPaths } from '@stagecast/protocol';
import { launchChromium, newPage } from './helpers/chromium.js';
import { CLIP_CLOCK_BITS, clipClockCell, fmp4Clip } from './helpers/fmp4Clip.js';
import { LlHlsWriter } from './helpers/LlHlsWriter.js';
import { sdkBrowserBundle } from './helpers/sdkBundle.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';

/** PART-HOLD-BACK of the writer: three parts of 0.5 s. */
const PART_HOLD_BACK_S = 1.5;
const PART_S = 0.5;
/** Media already in the window when the viewer arrives (written at once, as if live since). */
const PREWRITTEN_S = 120;
const RUNG = '360p';

let ingest: TestIngest;
let browser: Browser;
let page: Page;
let writer: LlHlsWriter;
const cleanups: (() => unknown)[] = [];

type Sdk = typeof import('@stagecast/sdk');
declare global {
  interface Window {
    dvrPlayer: InstanceType<Sdk['HlsPlayer']>;
    /** The media time (s) painted in the picture on screen, or null when it cannot be read. */
    pictureTime: () => number | null;
  }
}

/** The live edge's media time: the end of the last part written. */
const liveTime = () => writer.written(RUNG) * PART_S;

/** How far the picture on screen is behind the live edge, in seconds. */
async function behindLive(): Promise<number> {
  const before = liveTime();
  const picture = await page.evaluate(() => window.pictureTime());
  const after = liveTime();
  if (picture === null) throw new Error('the picture carries no readable clock');
  return (before + after) / 2 - picture;
}

/** Samples `behindLive` every 250 ms for `ms`. */
async function sampleBehind(ms: number): Promise<number[]> {
  const samples: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    samples.push(await behindLive());
    await new Promise((r) => setTimeout(r, 250));
  }
  return samples;
}

beforeAll(async () => {
  ingest = await TestIngest.start({ redisUrl: await ownRedisDatabase(12) });
  const roomId = 'dvr1';
  writer = await LlHlsWriter.create({
    dir: join(ingest.dataDir, hlsLayout.liveDir(roomId)),
    rungs: [RUNG],
    media: await fmp4Clip(PREWRITTEN_S + 180, PART_S, { clock: true }),
    // A DVR window longer than the test: nothing leaves it.
    window: 200,
    startMs: Date.now() - PREWRITTEN_S * 1000,
  });
  for (let i = 0; i < PREWRITTEN_S / PART_S; i++) await writer.writePart();
  writer.run();
  browser = await launchChromium();
  page = await newPage(browser, cleanups);
  await page.goto(`${ingest.url}/healthz`);
  await page.addScriptTag({ content: await sdkBrowserBundle() });
  const cells = Array.from({ length: CLIP_CLOCK_BITS }, (_, k) => clipClockCell(k));
  await page.evaluate(
    ({ url, cells }) => {
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      window.pictureTime = () => {
        if (!context || video.readyState < 2) return null;
        context.drawImage(video, 0, 0, 320, 180);
        let tenths = 0;
        cells.forEach(({ x, y }, k) => {
          const [r = 0, g = 0, b = 0] = context.getImageData(x, y, 1, 1).data;
          if ((r + g + b) / 3 > 128) tenths += 2 ** k;
        });
        return tenths / 10;
      };
      const player = new (window as unknown as { Stagecast: Sdk }).Stagecast.HlsPlayer(video);
      window.dvrPlayer = player;
      player.load(url);
    },
    { url: `${ingest.url}${hlsPaths.master(roomId)}`, cells },
  );
}, 180_000);

afterAll(async () => {
  await writer?.stop();
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
});

describe('DVR: seeking back while live', () => {
  it(
    'DVR: the whole window is seekable; 60 s back shows the picture of 60 s ago and stays there; going live returns within hold-back + 1 s',
    { timeout: 150_000 },
    async () => {
      // Playing at the live edge first.
      await waitFor(
        () => page.evaluate(() => !window.dvrPlayer.video.paused && window.dvrPlayer.video.currentTime > 0),
        'playback',
        60_000,
      );
      await waitFor(async () => (await behindLive()) < 5, 'playing near the live edge', 30_000);
      const range = await page.evaluate(() => window.dvrPlayer.seekable);
      expect(range).not.toBeNull();
      // The two minutes written before the viewer came are all seekable.
      expect((range?.end ?? 0) - (range?.start ?? 0)).toBeGreaterThan(PREWRITTEN_S - 5);
      expect(await page.evaluate(() => window.dvrPlayer.atLiveEdge)).toBe(true);

      const beforeSeek = await behindLive();
      await page.evaluate(() => window.dvrPlayer.seekBack(60));
      // The picture of 60 s earlier than the one shown before the seek plays on.
      await waitFor(async () => (await behindLive()) > 55, 'the picture of a minute ago', 30_000);
      await waitFor(
        () => page.evaluate(() => !window.dvrPlayer.video.paused && window.dvrPlayer.video.readyState >= 3),
        'playback after the seek',
        30_000,
      );
      // hls.js reloads the playlist every part: it must not bring the viewer back to live.
      const past = await sampleBehind(8000);
      for (const behind of past) {
        expect(behind).toBeGreaterThan(beforeSeek + 60 - 3);
        expect(behind).toBeLessThan(beforeSeek + 60 + 6);
      }
      const advanced = await page.evaluate(() => window.pictureTime());
      expect(advanced).not.toBeNull();
      expect(await page.evaluate(() => window.dvrPlayer.atLiveEdge)).toBe(false);
      expect(await page.evaluate(() => window.dvrPlayer.dvrState?.behind ?? 0)).toBeGreaterThan(55);

      await page.evaluate(() => window.dvrPlayer.goLive());
      await waitFor(async () => (await behindLive()) < 5, 'back at the live edge', 30_000);
      expect(await page.evaluate(() => window.dvrPlayer.atLiveEdge)).toBe(true);
      // The closest sample (a stall on a loaded machine only adds to some).
      const live = await sampleBehind(6000);
      expect(Math.min(...live)).toBeLessThan(PART_HOLD_BACK_S + 1);
      expect(Math.min(...live)).toBeGreaterThan(0);
    },
  );
});
