import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Browser, Locator, Page } from 'playwright-core';
import type { ChatMessage, CreateRoomResponse, RoomInfo, StageInvite } from '@stagecast/protocol';
import { ChatClient, HandsClient, connect, joinWithCode, type Role, type Room } from '@stagecast/sdk';
import { launchChromium } from './helpers/chromium.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { Bot } from './bot/Bot.js';

/*
 * The broadcaster app (broadcaster-ui/dist, served by a real ingest) in Debian's Chromium with
 * a fake camera and microphone, a real compositor process, bots publishing real media and
 * viewers as SDK clients in Node. Build the UI first: `npm run build -w @stagecast/broadcaster-ui`.
 *
 * The steps share one room and one host page, in order: each starts from where the last ended.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');
const UI_BUILT = existsSync(repo('broadcaster-ui/dist/index.html'));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

let REDIS_URL = '';

let ingest: TestIngest;
let transcoder: TranscoderProcess;
let browser: Browser;
let room: CreateRoomResponse;
let page: Page;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  if (!UI_BUILT) throw new Error('broadcaster-ui is not built: run "npm run build -w @stagecast/broadcaster-ui"');
  await mkdir(ARTIFACTS, { recursive: true });
  REDIS_URL = await ownRedisDatabase(11);
  ingest = await TestIngest.start({ redisUrl: REDIS_URL });
  transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl: REDIS_URL });
  browser = await launchChromium();
  room = await ingest.createRoom('Friday studio');
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await transcoder?.stop();
  if (ingest && room) await ingest.api('DELETE', `/api/rooms/${room.id}`).catch(() => undefined);
  await ingest?.close();
  if (!REDIS_URL) return;
  const redis = new Redis(REDIS_URL);
  const keys = room ? await redis.keys(`stagecast:room:${room.id}:*`) : [];
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** Screenshots at desktop and phone sizes, back to desktop afterwards. */
async function screenshots(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/broadcaster-${name}.png` });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: `${ARTIFACTS}/broadcaster-${name}-mobile.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function roomInfo(): Promise<RoomInfo> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${room.id}`)).body;
}

/** A stage tile, found by the start of its accessible name (the person's name). */
function tile(name: string): Locator {
  return page.getByRole('figure', { name: new RegExp(`^${name}\\b`) });
}

/** Waits until the video element shows frames and its clock advances. */
async function plays(video: Locator, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth > 0), `${what} to show a picture`, timeoutMs);
  const t0 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  await waitFor(() => video.evaluate((v: HTMLVideoElement, t: number) => v.currentTime > t + 1, t0), `${what} to play on`, timeoutMs);
}

/** A viewer in Node, joined through the viewer link as the viewer app would. */
async function viewer(name: string): Promise<{ room: Room; token: string }> {
  const code = new URL(room.links.viewer).pathname.split('/').pop() ?? '';
  const joined = await joinWithCode(ingest.url, code, name);
  const viewerRoom = await connect({ url: ingest.url, token: joined.token, roomId: joined.roomId, reconnect: false });
  cleanups.push(() => viewerRoom.close());
  return { room: viewerRoom, token: joined.token };
}

async function startBot(token: string, name: string): Promise<Bot> {
  const bot = await Bot.start({ url: ingest.url, token, name });
  cleanups.push(() => bot.stop());
  return bot;
}

describe('broadcaster-ui', () => {
  it('the host link opens the device check; joining puts the host on stage with camera and microphone', async () => {
    await page.goto(room.links.host);
    await page.getByRole('heading', { name: 'Get ready to go on stage' }).waitFor();
    await page.getByLabel('Your name').fill('Hosta');
    await plays(page.getByTestId('preview'), 'the camera preview');
    for (const device of ['Camera', 'Microphone']) {
      const picker = page.getByRole('combobox', { name: device, exact: true });
      await expect(picker.isEnabled()).resolves.toBe(true);
      await expect(picker.locator('option').count()).resolves.toBeGreaterThan(0);
    }
    const meter = page.getByRole('meter', { name: 'Microphone level' });
    await waitFor(async () => Number(await meter.getAttribute('aria-valuenow')) > 0, 'the microphone level to move');
    await expect(page.getByRole('alert').count()).resolves.toBe(0);

    // Start muted, then unmuted again: the toggle says what it will do.
    await page.getByRole('button', { name: 'Mute microphone' }).click();
    await page.getByText('You will join muted.').waitFor();
    await page.getByRole('button', { name: 'Unmute microphone' }).click();
    await screenshots('prejoin');

    await page.getByRole('button', { name: 'Join stage' }).click();
    await plays(tile('Hosta').locator('video'), 'the own tile');
    await expect(tile('Hosta').getAttribute('aria-label')).resolves.toMatch(/^Hosta \(you\)/);
    await expect(page.getByRole('heading', { name: 'Friday studio' }).isVisible()).resolves.toBe(true);
    await waitFor(async () => {
      const host = (await roomInfo()).stage.find((p) => p.name === 'Hosta');
      return host?.producers.map((p) => p.source).sort().join() === 'camera,mic';
    }, "the host's camera and mic producers");
    for (const control of ['Mute microphone', 'Turn camera off', 'Share screen', 'Leave']) {
      await expect(page.getByRole('button', { name: control, exact: true }).isVisible()).resolves.toBe(true);
    }
  });

  it('a co-host bot appears as a second tile with its picture', async () => {
    await startBot(await ingest.token(room.id, 'cohost', 'Robo'), 'Robo');
    await plays(tile('Robo').locator('video'), "the co-host's tile");
    await expect(page.getByRole('figure').count()).resolves.toBe(2);
    await screenshots('stage');
  });

  it('"Go live" goes through starting to live; the links are offered and the HLS preview plays', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Go live' }).click();
    await page.getByRole('button', { name: 'End broadcast' }).waitFor();
    await waitFor(async () => (await page.getByTestId('live-state').textContent())?.includes('Live'), 'the live state', 60_000);
    await expect(page.getByTestId('live-state').textContent()).resolves.toMatch(/Live\s*\d+:\d\d/);

    await page.getByRole('tab', { name: 'Broadcast' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Broadcast' });
    await expect(panel.getByRole('textbox', { name: 'Viewer link' }).inputValue()).resolves.toBe(room.links.viewer);
    await expect(panel.getByRole('textbox', { name: 'HLS stream URL' }).inputValue()).resolves.toBe(`${ingest.url}/hls/${room.id}/master.m3u8`);
    await expect(panel.getByRole('button', { name: 'Copy HLS stream URL' }).isVisible()).resolves.toBe(true);
    await plays(panel.getByLabel('Preview of the broadcast'), 'the HLS preview', 60_000);
    await expect(panel.locator('.bc-state').textContent()).resolves.toMatch(/^Live · \d+:\d\d$/);
    await screenshots('live');
  });

  it('a viewer raises a hand, is invited from the queue, accepts and appears on stage; "Move to audience" takes them off', { timeout: 90_000 }, async () => {
    const vera = await viewer('Vera');
    const veraHands = new HandsClient(vera.room);
    await veraHands.raise('Can I show my demo?');

    const peopleTab = page.getByRole('tab', { name: /^People/ });
    await waitFor(async () => (await peopleTab.textContent())?.includes('1'), 'the raised-hand count on the People tab');
    await peopleTab.click();
    const hand = page.getByTestId('hand').filter({ hasText: 'Vera' });
    await expect(hand.textContent()).resolves.toMatch(/1\s*Vera\s*Can I show my demo\?\s*Waiting just now/);
    await expect(page.getByRole('button', { name: 'Lower all hands' }).isVisible()).resolves.toBe(true);
    await expect(hand.getByRole('button', { name: 'Dismiss Vera' }).isVisible()).resolves.toBe(true);
    await screenshots('hands');

    const invited = nextEvent<[StageInvite]>((l) => veraHands.on('invited', l));
    await hand.getByRole('button', { name: 'Invite Vera' }).click();
    await invited;
    await hand.getByText('Invited…').waitFor();
    const promoted = nextEvent<[Role, string]>((l) => vera.room.on('roleChanged', l));
    expect(await veraHands.accept()).toBe('guest');
    await promoted;

    // A bot with Vera's credentials stands in for her browser: same person, now a guest, with media.
    const veraMedia = await startBot(vera.token, 'Vera');
    await plays(tile('Vera').locator('video'), "the guest's tile");
    await expect(page.getByRole('figure').count()).resolves.toBe(3);
    await page.getByTestId('hand').waitFor({ state: 'detached' });

    const demoted = nextEvent<[Role, string]>((l) => veraMedia.room.on('roleChanged', l));
    await page.getByRole('button', { name: 'Move Vera to audience' }).click();
    expect(await demoted).toEqual(['viewer', 'demoted']);
    await tile('Vera').waitFor({ state: 'detached' });
    await expect(page.getByRole('figure').count()).resolves.toBe(2);
    await page.getByText('Vera is back in the audience.').waitFor();
  });

  it('lists the audience with an invitation for anyone watching', async () => {
    await viewer('Walt');
    await page.getByRole('button', { name: 'Invite Walt' }).waitFor();
  });

  it('a message sent from the studio reaches viewers and is deleted from the studio for everyone', async () => {
    const reader = await viewer('Reader');
    const chat = new ChatClient(reader.room);
    cleanups.push(() => chat.close());
    const text = 'Welcome to the Friday studio!';

    await page.getByRole('tab', { name: /^Chat/ }).click();
    const arrived = nextEvent<[ChatMessage]>((l) => chat.on('message', l), (m) => m.text === text);
    await page.getByRole('textbox', { name: 'Chat message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    const [message] = await arrived;
    const item = page.getByRole('listitem').filter({ hasText: text });
    await item.waitFor();
    await expect(page.getByRole('textbox', { name: 'Chat message' }).inputValue()).resolves.toBe('');

    const deleted = nextEvent<[string]>((l) => chat.on('deleted', l), (id) => id === message.id);
    await item.hover();
    await item.getByRole('button', { name: 'Delete message' }).click();
    await deleted;
    await item.waitFor({ state: 'detached' });
    expect(chat.messages.some((m) => m.id === message.id)).toBe(false);
  });

  it('"End broadcast" ends it', { timeout: 90_000 }, async () => {
    await page.getByRole('button', { name: 'End broadcast' }).click();
    await waitFor(async () => (await page.getByTestId('live-state').textContent())?.includes('Ended'), 'the ended state', 60_000);
    await page.getByRole('button', { name: 'Go live' }).waitFor();
    expect((await roomInfo()).live.state).toBe('ended');
  });

  it('a dropped connection shows "Reconnecting…", then the studio recovers and republishes by itself', async () => {
    const before = (await roomInfo()).stage.find((p) => p.name === 'Hosta');
    const peer = before && ingest.server.ctx.rooms.get(room.id)?.peers.get(before.peerId);
    if (!peer) throw new Error('the host is not on stage');
    // Closing the transport under the socket looks like a network loss to the client.
    ingest.server.ctx.io.sockets.sockets.get(peer.socketId)?.conn.close();
    await page.getByRole('status').filter({ hasText: 'Connection lost. Reconnecting…' }).waitFor();
    await page.getByTestId('reconnecting').waitFor({ state: 'detached' });
    await waitFor(async () => {
      const host = (await roomInfo()).stage.find((p) => p.peerId === before.peerId);
      return host?.producers.map((p) => p.source).sort().join() === 'camera,mic';
    }, "the host's camera and mic published again");
    await plays(tile('Robo').locator('video'), "the co-host's tile after reconnecting");
  });
});
