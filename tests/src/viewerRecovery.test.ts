import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { Browser, Page, Route } from 'playwright-core';
import type { Room } from '@stagecast/sdk';
import { launchChromium, newPage as openPage } from './helpers/chromium.js';
import { botClip } from './helpers/botClip.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { Bot } from './bot/Bot.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/*
 * The viewer app plays a real broadcast (ingest, transcoder process, FFmpeg, a bot on stage)
 * in Chromium, while Playwright's request interception breaks the HLS origin for a while:
 * the player must come back by itself, on the same page, near the live edge.
 * Build the UI first: `npm run build -w @stagecast/viewer-ui`.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');
const HLS = '**/hls/**';

let ingest: TestIngest;
let browser: Browser;
let compositor: TranscoderProcess;
let host: Room;
let page: Page;
const cleanups: (() => unknown)[] = [];

const video = () => page.getByTestId('hls-player');
const currentTime = () => video().evaluate((v: HTMLVideoElement) => v.currentTime);
const isSegment = (route: Route) => !new URL(route.request().url()).pathname.endsWith('.m3u8');

/** Seconds behind live, as the player's controls show it (99 while hidden). */
async function shownLatency(): Promise<number> {
  const text = await page
    .locator('.latency')
    .textContent({ timeout: 500 })
    .catch(() => '');
  return Number(/(\d+) s behind live/.exec(text ?? '')?.[1] ?? 99);
}

async function advancing(what: string, timeoutMs = 15_000): Promise<void> {
  const t0 = await currentTime();
  await waitFor(async () => (await currentTime()) > t0 + 1, what, timeoutMs);
}

/**
 * Breaks the HLS requests with `fault` for `ms`, checks the page stays the same page
 * (no reload) and comes back: playback advancing within 15 s, less than 10 s behind live.
 */
async function outage(
  name: string,
  fault: (route: Route) => Promise<void>,
  ms: number,
  duringFault?: () => Promise<void>,
): Promise<void> {
  await page.evaluate((marker) => Object.assign(window, { stagecastMarker: marker }), name);
  let faulted = 0;
  const handler = async (route: Route) => {
    faulted += 1;
    await fault(route);
  };
  await page.route(HLS, handler);
  const ended = Date.now() + ms;
  await duringFault?.();
  await new Promise((r) => setTimeout(r, Math.max(0, ended - Date.now())));
  await page.unroute(HLS, handler);
  expect(faulted, 'requests hit by the fault').toBeGreaterThan(0);

  await advancing(`playback to advance again after the ${name}`);
  await waitFor(async () => (await shownLatency()) < 10, `less than 10 s behind live after the ${name}`);
  await expect(page.evaluate(() => (window as { stagecastMarker?: string }).stagecastMarker)).resolves.toBe(
    name,
  );
  await expect(page.getByRole('alert').count()).resolves.toBe(0);
  // A low-latency buffer is thin right after an outage: on a busy machine one more short
  // rebuffer may say "Reconnecting…" again, which must then clear by itself.
  await page.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 15_000 });
}

beforeAll(async () => {
  if (!existsSync(repo('viewer-ui/dist/index.html')))
    throw new Error('viewer-ui is not built: run "npm run build -w @stagecast/viewer-ui"');
  await mkdir(ARTIFACTS, { recursive: true });
  const redisUrl = await ownRedisDatabase(15);
  ingest = await TestIngest.start({ redisUrl });
  browser = await launchChromium();
  compositor = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
  cleanups.push(() => compositor.stop());

  const { id, links } = await ingest.createRoom('Bumpy network');
  host = await ingest.join(id, 'host', 'Hosta');
  cleanups.push(() => host.close());
  const bot = await Bot.start({
    url: ingest.url,
    token: await ingest.token(id, 'cohost', 'Robo'),
    name: 'Robo',
    webm: await botClip('Robo'),
  });
  cleanups.push(() => bot.stop());
  await host.request('broadcast:start', {});

  page = await openPage(browser, cleanups);
  await page.goto(links.viewer);
  await page.getByLabel('Your name').fill('Steady');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.getByTestId('waiting').waitFor({ state: 'detached', timeout: 90_000 });
  await advancing('the first playback', 30_000);
  await waitFor(async () => (await shownLatency()) < 10, 'playback near the live edge', 30_000);
}, 180_000);

afterAll(async () => {
  await host?.request('broadcast:stop', {}).catch(() => undefined);
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
});

describe('viewer recovery without a reload', () => {
  // A failure is explained by what the transcoder said.
  beforeEach(() => {
    onTestFailed(() => console.error(`--- transcoder ---\n${compositor?.output.join('') ?? ''}`));
  });

  it(
    '8 s of 503 on playlists and segments: a calm "Reconnecting…", then live again',
    { timeout: 60_000 },
    () =>
      outage(
        '503 burst',
        (route) => route.fulfill({ status: 503, contentType: 'text/plain', body: 'unavailable' }),
        8000,
        async () => {
          await page.getByTestId('reconnecting').waitFor({ timeout: 7000 });
          await expect(page.getByTestId('waiting').count()).resolves.toBe(0);
          await page.screenshot({ path: `${ARTIFACTS}/viewer-recovering.png` });
        },
      ),
  );

  it('10 s of 404 on segments', { timeout: 60_000 }, () =>
    outage(
      '404 burst',
      (route) =>
        isSegment(route)
          ? route.fulfill({ status: 404, contentType: 'text/plain', body: 'gone' })
          : route.continue(),
      10_000,
      // Longer than the buffer (a few segments of 2 s): the picture freezes, and the viewer is told why.
      () => page.getByTestId('reconnecting').waitFor({ timeout: 9500 }),
    ),
  );

  it('a 5 s network drop (every HLS request aborted)', { timeout: 60_000 }, () =>
    outage('network drop', (route) => route.abort('internetdisconnected'), 5000),
  );

  it(
    'after a minute of outage: a clear message and a Retry button that brings it back',
    { timeout: 150_000 },
    async () => {
      const started = Date.now();
      let requests = 0;
      const drop = async (route: Route) => {
        requests += 1;
        await route.abort('internetdisconnected');
      };
      await page.route(HLS, drop);
      await page.getByTestId('reconnecting').waitFor({ timeout: 15_000 });
      const retry = page.getByRole('button', { name: 'Retry' });
      await retry.waitFor({ timeout: 100_000 });
      const seconds = (Date.now() - started) / 1000;
      expect(seconds, 'the player keeps trying for a minute').toBeGreaterThan(55);
      await expect(page.getByTestId('waiting').textContent()).resolves.toContain('not been reachable');
      // A bounded backoff, not a tight loop: a few requests a second at most.
      expect(requests / seconds, 'HLS requests per second during the outage').toBeLessThan(5);
      await page.unroute(HLS, drop);
      await retry.click();
      await page.getByTestId('waiting').waitFor({ state: 'detached', timeout: 30_000 });
      await advancing('playback after Retry');
      await waitFor(async () => (await shownLatency()) < 10, 'less than 10 s behind live after Retry');
    },
  );
});
