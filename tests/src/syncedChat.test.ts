import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  broadcastKey,
  CUE_DATERANGE_CLASS,
  hlsLayout,
  hlsPaths,
  type BroadcastRecord,
  type Cue,
  type LiveState,
  type RoomInfo,
} from '@stagecast/protocol';
import { ChatClient, CueClient, type Room } from '@stagecast/sdk';
import { launchChromium, newPage } from './helpers/chromium.js';
import { refusal } from './helpers/events.js';
import { fmp4Clip } from './helpers/fmp4Clip.js';
import { LlHlsWriter } from './helpers/LlHlsWriter.js';
import { sdkBrowserBundle } from './helpers/sdkBundle.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/*
 * Chat and cues in sync with the picture. A synthetic LL-HLS writer stands in for the
 * compositor where timing is the point (it is cheap, and its PROGRAM-DATE-TIME is a capture
 * clock like the compositor's); a real transcoder writes the cues into real playlists.
 */

/** The requirement: a line appears when the viewer sees the moment it was sent, ±0.5 s. */
const SYNC_TOLERANCE_MS = 500;
const PART_SECONDS = 0.5;
/** Parts already out when viewers arrive: four seconds of picture. */
const PARTS_AHEAD = 8;

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');

let ingest: TestIngest;
let redisUrl = '';
let redis: Redis;
let browser: Browser;
const writers: LlHlsWriter[] = [];
const clients: Room[] = [];
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  redisUrl = await ownRedisDatabase(1);
  redis = new Redis(redisUrl);
  ingest = await TestIngest.start({ redisUrl });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const writer of writers) await writer.stop();
  for (const client of clients) client.close();
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
  await redis?.quit();
}, 60_000);

/**
 * A room "on air" from the synthetic writer: its files where the compositor puts them, and the
 * broadcast record the compositor's start leaves in Redis.
 */
async function roomOnAir(name: string): Promise<{ id: string; viewerLink: string }> {
  const { id, links } = await ingest.createRoom(name);
  const writer = await LlHlsWriter.create({
    dir: join(ingest.dataDir, hlsLayout.liveDir(id)),
    media: await fmp4Clip(120),
    partSeconds: PART_SECONDS,
    // A capture clock: the parts written ahead at once show the last four seconds.
    startMs: Date.now() - PARTS_AHEAD * PART_SECONDS * 1000,
  });
  writers.push(writer);
  for (let i = 0; i < PARTS_AHEAD; i++) await writer.writePart();
  writer.run();
  const record: BroadcastRecord = {
    wanted: 'live',
    live: {
      state: 'live',
      broadcastId: 'b1',
      hlsUrl: hlsPaths.master(id),
      startedAt: new Date().toISOString(),
    },
  };
  await redis.set(broadcastKey(id), JSON.stringify(record));
  return { id, viewerLink: links.viewer };
}

async function host(roomId: string): Promise<Room> {
  const room = await ingest.join(roomId, 'host', 'Hana');
  clients.push(room);
  return room;
}

/** What the page saw of one event: its stamp, the picture's time and the wall clock then. */
interface Seen {
  id: string;
  at: number;
  picture: number | null;
  wall: number;
}

declare global {
  interface Window {
    arrived: Seen[];
    shown: Seen[];
    cues: (Seen & { name: string; payload: unknown })[];
    setAtOnce: (atOnce: boolean) => void;
  }
}

/** A viewer page on the SDK bundle: HlsPlayer, SyncedTimeline, ChatClient and CueClient. */
async function sdkViewer(roomId: string): Promise<Page> {
  const page = await newPage(browser, cleanups);
  await page.goto(`${ingest.url}/healthz`);
  await page.addScriptTag({ content: await sdkBrowserBundle() });
  const token = await ingest.token(roomId, 'viewer', 'Vera');
  await page.evaluate(
    async ({ url, token, master }) => {
      const sdk = (window as unknown as { Stagecast: typeof import('@stagecast/sdk') }).Stagecast;
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const player = new sdk.HlsPlayer(video);
      const timeline = new sdk.SyncedTimeline(player);
      const room = await sdk.connect({ url, token });
      const chat = new sdk.ChatClient(room);
      const cues = new sdk.CueClient(room, { timeline });
      const picture = () => player.playingDate?.getTime() ?? null;
      window.arrived = [];
      window.shown = [];
      window.cues = [];
      window.setAtOnce = (atOnce) => (timeline.enabled = !atOnce);
      chat.on('message', (m) => {
        window.arrived.push({ id: m.id, at: m.ts, picture: picture(), wall: Date.now() });
        timeline.hold(m.ts, () =>
          window.shown.push({ id: m.id, at: m.ts, picture: picture(), wall: Date.now() }),
        );
      });
      cues.on('cue', (cue) =>
        window.cues.push({
          id: cue.id,
          at: cue.at,
          name: cue.name,
          payload: cue.payload,
          picture: picture(),
          wall: Date.now(),
        }),
      );
      player.load(master);
    },
    { url: ingest.url, token, master: `${ingest.url}${hlsPaths.master(roomId)}` },
  );
  // Playing, with a picture time from PROGRAM-DATE-TIME.
  await waitFor(
    () =>
      page.evaluate(() => {
        const video = document.querySelector('video');
        return video !== null && video.currentTime > 1 && !video.paused;
      }),
    'the viewer to play the stream',
    45_000,
  );
  return page;
}

async function seen(page: Page, list: 'arrived' | 'shown', id: string): Promise<Seen> {
  return waitFor(
    () => page.evaluate(({ list, id }) => window[list].find((s) => s.id === id) ?? null, { list, id }),
    `message ${id} ${list}`,
    20_000,
  );
}

describe('chat in sync with the picture (SDK in Chromium)', () => {
  it('holds a host line until the picture reaches its time (±0.5 s); "at once" shows it on arrival', async () => {
    const { id } = await roomOnAir('Synced chat');
    const page = await sdkViewer(id);
    const hostChat = new ChatClient(await host(id));

    const synced = await hostChat.send('Welcome, everyone!');
    const arrived = await seen(page, 'arrived', synced.id);
    const shown = await seen(page, 'shown', synced.id);
    // It did have to wait: the picture was behind the line's moment when it arrived.
    expect(arrived.picture).not.toBeNull();
    expect(synced.ts - (arrived.picture ?? 0)).toBeGreaterThan(SYNC_TOLERANCE_MS);
    // And it was shown when the picture got there: the picture's own time, not the wall clock.
    expect(shown.picture).not.toBeNull();
    expect(Math.abs((shown.picture ?? 0) - synced.ts)).toBeLessThanOrEqual(SYNC_TOLERANCE_MS);

    await page.evaluate(() => window.setAtOnce(true));
    const atOnce = await hostChat.send('This one right away');
    const arrivedNow = await seen(page, 'arrived', atOnce.id);
    const shownNow = await seen(page, 'shown', atOnce.id);
    // Delivered in the same turn it arrived, while the picture was still well behind its moment.
    expect(shownNow.wall - arrivedNow.wall).toBeLessThan(100);
    expect(atOnce.ts - (shownNow.picture ?? 0)).toBeGreaterThan(SYNC_TOLERANCE_MS);
  });

  it('fires a cue when the picture reaches it; only the host may send one, a valid one', async () => {
    const { id } = await roomOnAir('Cued');
    const page = await sdkViewer(id);
    const hostRoom = await host(id);
    const cues = new CueClient(hostRoom);
    const cue = await cues.send('poll', { question: 'Tea or coffee?' });
    expect(cue).toMatchObject({ name: 'poll', broadcastId: 'b1', by: { name: 'Hana' } });

    const fired = await waitFor(
      () => page.evaluate((cueId) => window.cues.find((c) => c.id === cueId) ?? null, cue.id),
      'the cue to fire',
      20_000,
    );
    expect(fired.payload).toEqual({ question: 'Tea or coffee?' });
    expect(Math.abs((fired.picture ?? 0) - cue.at)).toBeLessThanOrEqual(SYNC_TOLERANCE_MS);

    const viewer = await ingest.join(id, 'viewer', 'Nosy');
    clients.push(viewer);
    expect((await refusal(new CueClient(viewer).send('poll'))).code).toBe('FORBIDDEN');
    expect((await refusal(cues.send('bad name!'))).code).toBe('BAD_REQUEST');
    expect((await refusal(cues.send('big', 'x'.repeat(2000)))).code).toBe('BAD_REQUEST');
    const rest = await ingest.api('POST', `/api/rooms/${id}/cues`, {
      name: 'slide',
      payload: [1, 2],
      extra: 1,
    });
    expect(rest.status).toBe(400);
  });
});

describe('chat in sync in the viewer app', () => {
  it('shows a host line late by default, at once with "Show messages at once" (remembered)', async () => {
    if (!existsSync(repo('viewer-ui/dist/index.html')))
      throw new Error('viewer-ui is not built: run "npm run build -w @stagecast/viewer-ui"');
    await mkdir(ARTIFACTS, { recursive: true });
    const { id, viewerLink } = await roomOnAir('Synced app');
    const page = await newPage(browser, cleanups);
    await page.goto(viewerLink);
    await page.getByLabel('Your name').fill('Vic');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByLabel('Chat message').waitFor();
    await waitFor(
      () => page.evaluate(() => (document.querySelector('video')?.currentTime ?? 0) > 1),
      'the app to play the stream',
      45_000,
    );
    // When each line appears on the page, by the page's clock.
    await page.evaluate(() => {
      const appeared: Record<string, number> = {};
      (window as unknown as { appeared: Record<string, number> }).appeared = appeared;
      new MutationObserver(() => {
        for (const li of document.querySelectorAll('[aria-label="Messages"] li')) {
          const text = li.querySelector('.text')?.textContent;
          if (text && !(text in appeared)) appeared[text] = Date.now();
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    const appearedAfter = async (text: string, sentAt: number): Promise<number> => {
      const at = await waitFor(
        () =>
          page.evaluate((t) => (window as unknown as { appeared: Record<string, number> }).appeared[t], text),
        `"${text}" on the page`,
        20_000,
      );
      return at - sentAt;
    };
    const hostChat = new ChatClient(await host(id));

    const switchBox = page.getByRole('switch', { name: 'Show messages at once' });
    expect(await switchBox.isChecked()).toBe(false);
    let sentAt = await page.evaluate(() => Date.now());
    await hostChat.send('In sync with the picture');
    const syncedDelay = await appearedAfter('In sync with the picture', sentAt);

    await switchBox.check();
    sentAt = await page.evaluate(() => Date.now());
    await hostChat.send('Straight away');
    const atOnceDelay = await appearedAfter('Straight away', sentAt);
    // The picture is over a second behind (part hold-back alone is 1.5 s): held lines wait for it.
    expect(syncedDelay).toBeGreaterThan(1000);
    expect(atOnceDelay).toBeLessThan(syncedDelay - SYNC_TOLERANCE_MS);
    expect(await page.evaluate(() => localStorage.getItem('stagecast:chatAtOnce'))).toBe('1');

    await page.screenshot({ path: `${ARTIFACTS}/viewer-synced-chat.png` });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.screenshot({ path: `${ARTIFACTS}/viewer-synced-chat-mobile.png`, fullPage: true });
  });
});

describe('cues in the playlists (real transcoder)', () => {
  let transcoder: TranscoderProcess | undefined;
  afterAll(async () => {
    await transcoder?.stop();
  }, 30_000);

  it('a cue is an EXT-X-DATERANGE of the live playlists and of the recording', async () => {
    transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
    const { id } = await ingest.createRoom('Cue playlists');
    const notLive = await ingest.api('POST', `/api/rooms/${id}/cues`, { name: 'early' });
    expect(notLive.status).toBe(409);

    expect((await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'start' })).status).toBe(200);
    const live = async (): Promise<LiveState> =>
      (await ingest.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.live;
    await waitFor(async () => (await live()).state === 'live', 'the broadcast to be live', 90_000);
    const rungs = await waitFor(async () => {
      const res = await fetch(`${ingest.url}${hlsPaths.master(id)}`);
      if (!res.ok) return null;
      return (await res.text()).split('\n').filter((l) => l.endsWith(hlsLayout.media));
    }, 'the master playlist');
    expect(rungs.length).toBeGreaterThan(0);

    const { status, body } = await ingest.api<{ cue: Cue }>('POST', `/api/rooms/${id}/cues`, {
      name: 'slide:4',
      payload: { title: 'Say "cheese"' },
    });
    expect(status).toBe(201);
    const tagOf = (text: string) => text.split('\n').find((l) => l.includes(`ID="${body.cue.id}"`));
    for (const rung of rungs) {
      const tag = await waitFor(async () => {
        const res = await fetch(`${ingest.url}/hls/${id}/${rung}`);
        return res.ok ? (tagOf(await res.text()) ?? null) : null;
      }, `the cue in ${rung}`);
      expect(tag).toContain(`CLASS="${CUE_DATERANGE_CLASS}"`);
      expect(tag).toContain(`START-DATE="${new Date(body.cue.at).toISOString()}"`);
      expect(tag).toContain('X-NAME="slide:4"');
      const payload = /X-PAYLOAD="([^"]*)"/.exec(tag ?? '')?.[1] ?? '';
      expect(JSON.parse(Buffer.from(payload, 'base64').toString('utf8'))).toEqual({ title: 'Say "cheese"' });
    }

    // Two more seconds of picture after the cue, so the recording holds its moment.
    const firstRung = rungs[0] ?? '';
    await waitFor(async () => {
      const text = await (await fetch(`${ingest.url}/hls/${id}/${firstRung}`)).text();
      const dates = [...text.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/g)].map((m) => Date.parse(m[1] ?? ''));
      return Math.max(...dates) > body.cue.at + 2000;
    }, 'two seconds of picture after the cue');
    expect((await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'stop' })).status).toBe(200);
    const ended = await waitFor(
      async () => {
        const state = await live();
        return state.state === 'ended' && state.recordingUrl ? state : null;
      },
      'the recording',
      60_000,
    );
    const vodMaster = new URL(ended.recordingUrl ?? '', ingest.url);
    const vodRungs = (await (await fetch(vodMaster)).text())
      .split('\n')
      .filter((l) => l.endsWith(hlsLayout.media));
    expect(vodRungs.length).toBe(rungs.length);
    for (const rung of vodRungs) {
      const text = await (await fetch(new URL(rung, vodMaster))).text();
      expect(tagOf(text)).toContain(`START-DATE="${new Date(body.cue.at).toISOString()}"`);
    }

    // Playing the recording, the SDK reads the cue from the playlist and fires it on time.
    const page = await newPage(browser, cleanups);
    await page.goto(`${ingest.url}/healthz`);
    await page.addScriptTag({ content: await sdkBrowserBundle() });
    await page.evaluate((url) => {
      const sdk = (window as unknown as { Stagecast: typeof import('@stagecast/sdk') }).Stagecast;
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const player = new sdk.HlsPlayer(video, { lowLatency: false });
      const cues = new sdk.CueClient(null, { player });
      window.cues = [];
      cues.on('cue', (cue) =>
        window.cues.push({
          id: cue.id,
          at: cue.at,
          name: cue.name,
          payload: cue.payload,
          picture: player.playingDate?.getTime() ?? null,
          wall: Date.now(),
        }),
      );
      player.load(url);
    }, vodMaster.href);
    const fired = await waitFor(
      () => page.evaluate((cueId) => window.cues.find((c) => c.id === cueId) ?? null, body.cue.id),
      'the cue to fire in the recording',
      60_000,
    );
    expect(fired).toMatchObject({ name: 'slide:4', payload: { title: 'Say "cheese"' } });
    expect(Math.abs((fired.picture ?? 0) - body.cue.at)).toBeLessThanOrEqual(SYNC_TOLERANCE_MS);
  }, 180_000);
});
