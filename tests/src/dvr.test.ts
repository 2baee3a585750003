import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { hlsLayout, hlsPaths } from '@stagecast/protocol';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { launchChromium, newPage } from './helpers/chromium.js';
import { CLIP_CLOCK_BITS, clipClockCell, fmp4Clip } from './helpers/fmp4Clip.js';
import { LlHlsWriter } from './helpers/LlHlsWriter.js';
import { sdkBrowserBundle } from './helpers/sdkBundle.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/*
 * The SDK player against the LL-HLS origin with a synthetic stream whose picture carries its
 * media time; then the viewer app (viewer-ui/dist: `npm run build -w @stagecast/viewer-ui`)
 * on a real composite with the default DVR window.
 */
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');

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
const playlistRequests: string[] = [];

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

let redisUrl = '';
beforeAll(async () => {
  redisUrl = await ownRedisDatabase(12);
  ingest = await TestIngest.start({ redisUrl });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await writer?.stop();
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
});

describe('DVR: seeking back while live', () => {
  beforeAll(async () => {
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
    page = await newPage(browser, cleanups);
    page.on('request', (request) => playlistRequests.push(request.url()));
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

  afterAll(() => writer?.stop());

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
      // The long playlist is not loaded whole twice a second: delta updates leave out what
      // lies before CAN-SKIP-UNTIL (the origin answers them with EXT-X-SKIP).
      expect(playlistRequests.some((url) => /index\.m3u8\?.*_HLS_skip=(YES|v2)/.test(url))).toBe(true);

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

describe('DVR in the viewer app, on a real composite', () => {
  let compositor: TranscoderProcess | undefined;
  beforeAll(async () => {
    if (!existsSync(repo('viewer-ui/dist/index.html')))
      throw new Error('viewer-ui is not built: run "npm run build -w @stagecast/viewer-ui"');
    await mkdir(ARTIFACTS, { recursive: true });
    const started = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
    compositor = started;
    cleanups.push(() => started.stop());
  });
  beforeEach(() => {
    onTestFailed(() => console.error(`--- transcoder ---\n${compositor?.output.join('') ?? ''}`));
  });

  it(
    'DVR: the seek bar goes back 10 s per arrow key, the Live button says so and goes live; the playlist keeps the window',
    { timeout: 240_000 },
    async () => {
      const { id, links } = await ingest.createRoom('DVR room');
      const host = await ingest.join(id, 'host', 'Hosta');
      cleanups.push(() => host.close());
      const bot = await Bot.start({
        url: ingest.url,
        token: await ingest.token(id, 'cohost', 'Robo'),
        name: 'Robo',
        webm: await botClip('Robo'),
      });
      cleanups.push(() => bot.stop());
      const viewer = await newPage(browser, cleanups);
      await viewer.goto(links.viewer);
      await viewer.getByLabel('Your name').fill('Dee');
      await viewer.getByRole('button', { name: 'Join', exact: true }).click();
      await viewer.getByLabel('Chat message').waitFor();
      await host.request('broadcast:start', {});
      await viewer.getByTestId('waiting').waitFor({ state: 'detached', timeout: 90_000 });
      const video = viewer.getByTestId('hls-player');
      const time = () => video.evaluate((v: HTMLVideoElement) => v.currentTime);

      // More than a default 10-segment window on air (12 s, or 20 s of 2 s segments): all of it stays listed.
      const playlist = join(ingest.dataDir, hlsLayout.liveDir(id), '720p', hlsLayout.media);
      const listedSeconds = async () =>
        (await readFile(playlist, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => l.startsWith('#EXTINF:'))
          .reduce((sum, l) => sum + Number.parseFloat(l.slice(8)), 0);
      await waitFor(async () => (await listedSeconds()) >= 28, 'a 28 s window', 120_000);
      expect((await readFile(playlist, 'utf8')).includes('#EXT-X-MEDIA-SEQUENCE:0\n')).toBe(true);

      const seek = viewer.getByRole('slider', { name: 'Seek in the live stream' });
      await seek.waitFor({ timeout: 30_000 });
      const live = viewer.getByRole('button', { name: /jump to live/i });
      await waitFor(async () => (await live.textContent())?.trim() === 'Live', 'the Live badge at the edge');
      const before = await time();
      await seek.focus();
      await viewer.keyboard.press('ArrowLeft');
      await viewer.keyboard.press('ArrowLeft');
      await waitFor(async () => (await live.textContent())?.trim() === 'Go live', 'the Go live button');
      const back = await time();
      // Two presses, 10 s each (playback went on meanwhile).
      expect(before - back).toBeGreaterThan(17);
      expect(before - back).toBeLessThan(23);
      await expect(seek.getAttribute('aria-valuetext')).resolves.toMatch(/^\d+ s behind live$/);
      // It stays in the past while playing on (hls.js reloads the playlist twice a second).
      await waitFor(async () => (await time()) > back + 2, 'playback in the past', 30_000);
      await new Promise((r) => setTimeout(r, 4000));
      await expect(live.textContent()).resolves.toContain('Go live');
      await viewer.screenshot({ path: `${ARTIFACTS}/viewer-dvr.png` });
      await viewer.setViewportSize({ width: 360, height: 740 });
      await viewer.screenshot({ path: `${ARTIFACTS}/viewer-dvr-mobile.png`, fullPage: true });
      await viewer.setViewportSize({ width: 1280, height: 800 });

      // End on the seek bar (or the button) goes live.
      await seek.focus();
      await viewer.keyboard.press('End');
      await waitFor(async () => (await live.textContent())?.trim() === 'Live', 'live again');
      expect(await time()).toBeGreaterThan(before);
      await viewer.screenshot({ path: `${ARTIFACTS}/viewer-dvr-live.png` });
      await viewer.setViewportSize({ width: 360, height: 740 });
      await viewer.screenshot({ path: `${ARTIFACTS}/viewer-dvr-live-mobile.png`, fullPage: true });
      await host.request('broadcast:stop', {});
    },
  );
});
