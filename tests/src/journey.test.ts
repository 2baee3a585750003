import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { COMPOSITE_QUEUE, type BroadcastProgress, type Recording, type RoomInfo } from '@stagecast/protocol';
import { Bot } from './bot/Bot.js';
import { launchChromium, newPage as openPage } from './helpers/chromium.js';
import { decodesEverySegment, fetchPlaylist, probeStreams } from './helpers/hls.js';
import { botClip } from './helpers/botClip.js';
import { ON_AIR_MS, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/*
 * The whole webinar, as people live it: a host in the broadcaster app, a bot co-host, a viewer
 * in the viewer app, all against real ingest, transcoder (its own process), Redis and FFmpeg.
 */

const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url));
const cleanups: (() => unknown)[] = [];
let ingest: TestIngest;
let browser: Browser;
let queue: Queue;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const redisUrl = await ownRedisDatabase(14);
  ingest = await TestIngest.start({ redisUrl });
  const transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
  cleanups.push(() => transcoder.stop());
  queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redisUrl } });
  cleanups.push(() => queue.close());
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
}, 60_000);

const newPage = (): Promise<Page> => openPage(browser, cleanups);

let step = 0;
async function snap(page: Page, name: string): Promise<void> {
  step++;
  await page.screenshot({ path: `${ARTIFACTS}/journey-${String(step).padStart(2, '0')}-${name}.png` });
}

async function roomInfo(roomId: string): Promise<RoomInfo> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body;
}

/** Tiles in the composite, as the compositor reports them through the job's progress. */
async function compositeTiles(roomId: string): Promise<number> {
  const { live } = await roomInfo(roomId);
  const job = await queue.getJob(`${roomId}.${live.broadcastId ?? ''}`);
  const progress = job?.progress as BroadcastProgress | number | undefined;
  return typeof progress === 'object' ? progress.tiles : 0;
}

async function hlsAdvances(page: Page, testId: string): Promise<void> {
  const video = page.getByTestId(testId);
  await video.waitFor({ timeout: 60_000 });
  const t0 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  await waitFor(
    () => video.evaluate((v: HTMLVideoElement, t: number) => !v.paused && v.currentTime > t + 1, t0),
    `${testId} to play`,
    60_000,
  );
}

describe('the journey of a webinar', () => {
  it(
    'host and co-host go live, a viewer watches, chats, comes on stage and back, the recording plays',
    { timeout: 400_000 },
    async () => {
      const { id, links } = await ingest.createRoom('Journey webinar');

      // The host joins through the broadcaster app.
      const host = await newPage();
      await host.goto(links.host);
      await host.getByLabel('Your name').fill('Hanna Host');
      await snap(host, 'host-prejoin');
      await host.getByRole('button', { name: 'Join stage' }).click();
      const tiles = host.getByTestId('tile');
      await waitFor(async () => (await tiles.count()) === 1, 'the host tile');

      // A bot co-host joins.
      const bot = await Bot.start({
        url: ingest.url,
        token: await ingest.token(id, 'cohost', 'Cody Cohost'),
        name: 'Cody Cohost',
        webm: await botClip('Cody Cohost'),
      });
      cleanups.push(() => bot.stop());
      await waitFor(async () => (await tiles.count()) === 2, 'the co-host tile');
      await snap(host, 'host-stage');

      // Go live: the header reaches "Live" and the composite has both of them.
      await host.getByRole('button', { name: 'Go live' }).click();
      await waitFor(
        async () => ((await host.getByTestId('live-state').textContent()) ?? '').includes('Live'),
        'the live state',
        60_000,
      );
      await waitFor(async () => (await compositeTiles(id)) === 2, 'two tiles in the composite', 30_000);
      await host.getByRole('tab', { name: /Broadcast/ }).click();
      await hlsAdvances(host, 'hls-preview');
      await snap(host, 'host-live');

      // A viewer watches through the viewer app.
      const viewer = await newPage();
      await viewer.goto(links.viewer);
      await viewer.getByLabel('Your name').fill('Vera Viewer');
      await viewer.getByRole('button', { name: 'Join', exact: true }).click();
      await hlsAdvances(viewer, 'hls-player');
      await snap(viewer, 'viewer-playing');

      // Chat both ways.
      await host.getByRole('tab', { name: /Chat/ }).click();
      await viewer.getByLabel('Chat message').fill('Hello from the audience');
      await viewer.getByRole('button', { name: 'Send' }).click();
      await host.getByText('Hello from the audience').waitFor();
      await host.getByRole('textbox', { name: 'Chat message' }).fill('Welcome, Vera!');
      await host.getByRole('button', { name: 'Send' }).click();
      await viewer.getByText('Welcome, Vera!').waitFor();
      await snap(viewer, 'viewer-chat');

      // Raise hand → invited from the queue → accept → device check → on stage.
      await viewer.getByLabel('Question (optional)').fill('May I show my demo?');
      await viewer.getByRole('button', { name: 'Raise hand' }).click();
      await host.getByRole('tab', { name: /People/ }).click();
      await host.getByText('May I show my demo?').waitFor();
      await snap(host, 'host-hand-raised');
      await host.getByRole('button', { name: 'Invite Vera Viewer' }).click();
      await viewer
        .getByRole('dialog', { name: 'You are invited on stage' })
        .getByRole('button', { name: 'Accept' })
        .click();
      const joinStage = viewer.getByRole('button', { name: 'Join stage' });
      await waitFor(() => joinStage.isEnabled(), 'the device check');
      await joinStage.click();
      await waitFor(async () => (await tiles.count()) === 3, "the guest's tile at the host");
      await waitFor(
        async () =>
          (await roomInfo(id)).stage.some((p) => p.name === 'Vera Viewer' && p.producers.length === 2),
        'the guest producers',
      );
      // She arrives backstage; the host greets her, then puts her on air.
      await host.getByRole('button', { name: 'Put Vera Viewer on air' }).click();
      await waitFor(async () => (await compositeTiles(id)) === 3, 'the guest in the composite', ON_AIR_MS);
      await snap(host, 'host-guest-on-stage');
      await snap(viewer, 'viewer-on-stage');

      // The host moves her back: she is a viewer again, on HLS.
      await host.getByRole('button', { name: 'Move Vera Viewer to audience' }).click();
      await viewer.getByText('moved you back to the audience').waitFor();
      await waitFor(async () => (await tiles.count()) === 2, 'the guest tile gone at the host');
      await hlsAdvances(viewer, 'hls-player');
      await waitFor(
        async () => (await compositeTiles(id)) === 2,
        'the composite without the guest',
        ON_AIR_MS,
      );
      await snap(viewer, 'viewer-back-on-hls');

      // End, once the broadcast holds more than the recording must: the flow above may take less
      // time on a fast machine than the recording's bound.
      const liveUrl = `${ingest.url}/hls/${id}/master.m3u8`;
      await waitFor(
        async () => {
          const variant = (await fetchPlaylist(liveUrl))?.manifest.playlists?.[0];
          if (!variant) return false;
          const media = await fetchPlaylist(new URL(variant.uri, liveUrl).toString());
          return (media?.manifest.segments ?? []).reduce((sum, seg) => sum + seg.duration, 0) >= 12;
        },
        'twelve seconds of broadcast',
        30_000,
      );
      // The recording is listed and plays.
      await host.getByRole('button', { name: 'End broadcast' }).click();
      await waitFor(async () => (await roomInfo(id)).live.state === 'ended', 'the broadcast to end', 30_000);
      await viewer.getByTestId('ended').waitFor();
      await snap(viewer, 'viewer-ended');
      const { body } = await ingest.api<{ recordings: Recording[] }>('GET', `/api/rooms/${id}/recordings`);
      const recording = body.recordings[0];
      if (!recording) throw new Error('no recording listed');
      const url = new URL(recording.url, ingest.url).toString();
      const streams = await probeStreams(url);
      expect(streams.video).toBeGreaterThanOrEqual(1);
      expect(streams.audio).toBeGreaterThanOrEqual(1);
      expect(streams.duration).toBeGreaterThan(10);
      const master = await fetchPlaylist(url);
      const lowest = master?.manifest.playlists?.at(-1);
      if (!lowest) throw new Error('the recording has no renditions');
      expect(await decodesEverySegment(new URL(lowest.uri, url).toString())).toBeGreaterThan(5);
    },
  );
});
