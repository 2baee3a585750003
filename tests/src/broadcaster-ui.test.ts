import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Browser, Locator, Page } from 'playwright-core';
import type {
  ChatMessage,
  CreateRoomResponse,
  LayoutChoice,
  RoomInfo,
  StageInvite,
} from '@stagecast/protocol';
import { ChatClient, HandsClient, connect, joinWithCode, type Role, type Room } from '@stagecast/sdk';
import { launchChromium } from './helpers/chromium.js';
import { ON_AIR_MS, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { Bot } from './bot/Bot.js';
import {
  layoutButton,
  plays,
  pressed,
  tabsReadable,
  tamper,
  type TamperedPage,
} from './helpers/studioPage.js';

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
  if (!UI_BUILT)
    throw new Error('broadcaster-ui is not built: run "npm run build -w @stagecast/broadcaster-ui"');
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
async function screenshots(name: string, on: Page = page): Promise<void> {
  await on.screenshot({ path: `${ARTIFACTS}/broadcaster-${name}.png` });
  await on.setViewportSize(PHONE);
  await on.screenshot({ path: `${ARTIFACTS}/broadcaster-${name}-mobile.png`, fullPage: true });
  await on.setViewportSize(DESKTOP);
}

async function roomInfo(): Promise<RoomInfo> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${room.id}`)).body;
}

/** A stage tile, found by the start of its accessible name (the person's name). */
function tile(name: string): Locator {
  return page.getByRole('figure', { name: new RegExp(`^${name}\\b`) });
}

/** A viewer in Node, joined through the viewer link as the viewer app would. */
async function viewer(name: string): Promise<{ room: Room; token: string }> {
  const code = new URL(room.links.viewer).pathname.split('/').pop() ?? '';
  const joined = await joinWithCode(ingest.url, code, name);
  const viewerRoom = await connect({
    url: ingest.url,
    token: joined.token,
    roomId: joined.roomId,
    reconnect: false,
  });
  cleanups.push(() => viewerRoom.close());
  return { room: viewerRoom, token: joined.token };
}

async function layoutOnServer(): Promise<LayoutChoice> {
  return (await ingest.api<LayoutChoice>('GET', `/api/rooms/${room.id}/layout`)).body;
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
    await waitFor(
      async () => Number(await meter.getAttribute('aria-valuenow')) > 0,
      'the microphone level to move',
    );
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
      return (
        host?.producers
          .map((p) => p.source)
          .sort()
          .join() === 'camera,mic'
      );
    }, "the host's camera and mic producers");
    for (const control of ['Mute microphone', 'Turn camera off', 'Share screen', 'Leave']) {
      await expect(page.getByRole('button', { name: control, exact: true }).isVisible()).resolves.toBe(true);
    }
  });

  it('a co-host bot appears as a second tile; every tab label fits at 1280 and 360 px and the keyboard reaches each tab', async () => {
    await startBot(await ingest.token(room.id, 'cohost', 'Robo'), 'Robo');
    await plays(tile('Robo').locator('video'), "the co-host's tile");
    await expect(page.getByRole('figure').count()).resolves.toBe(2);
    await screenshots('stage');
    await tabsReadable(page, '1280 px');
    // On a phone too, and each tab is reachable from the keyboard (arrow keys, Home, End).
    await page.setViewportSize(PHONE);
    await tabsReadable(page, '360 px');
    const chat = page.getByRole('tab', { name: /Chat/ });
    await chat.focus();
    await page.keyboard.press('End');
    const broadcast = page.getByRole('tab', { name: 'Broadcast' });
    await expect(broadcast.getAttribute('aria-selected')).resolves.toBe('true');
    await expect(broadcast.evaluate((tab) => tab === document.activeElement)).resolves.toBe(true);
    await page.keyboard.press('ArrowRight');
    await expect(chat.getAttribute('aria-selected')).resolves.toBe('true');
    await page
      .getByRole('tablist', { name: 'Panels' })
      .screenshot({ path: `${ARTIFACTS}/broadcaster-tabs-mobile.png` });
    await page.setViewportSize(DESKTOP);
  });

  it('before going live, the host picks a layout; the choice reaches the server and follows changes made elsewhere', async () => {
    await page.getByRole('tab', { name: 'Broadcast' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Broadcast' });
    await pressed(layoutButton(page, 'Auto'), 'Auto to be the first choice');
    await expect(layoutButton(page, 'Grid').getAttribute('title')).resolves.toMatch(/equal tiles/);
    await panel.getByText('Kept for when you go live.').waitFor();

    await layoutButton(page, 'Speaker').click();
    await pressed(layoutButton(page, 'Speaker'), 'Speaker to be chosen');
    await expect(layoutButton(page, 'Auto').getAttribute('aria-pressed')).resolves.toBe('false');
    expect(await layoutOnServer()).toEqual({ mode: 'speaker', pinnedPeerId: null });

    // Spotlight pins someone by itself; the picker then names who, and can change it.
    const robo = (await roomInfo()).stage.find((p) => p.name === 'Robo');
    if (!robo) throw new Error('Robo is not on stage');
    await layoutButton(page, 'Spotlight').click();
    await pressed(layoutButton(page, 'Spotlight'), 'Spotlight to be chosen');
    const picker = panel.getByRole('combobox', { name: 'Person in the spotlight' });
    await picker.waitFor();
    await picker.selectOption({ label: 'Robo' });
    await waitFor(
      async () => (await layoutOnServer()).pinnedPeerId === robo.peerId,
      'Robo to be pinned on the server',
    );
    await waitFor(async () => (await picker.inputValue()) === robo.peerId, 'the picker to name Robo');
    await pressed(
      tile('Robo').getByRole('button', { name: 'Pin Robo to air' }),
      "Robo's tile to show the pin",
    );

    // Someone joining now gets the choice in their join snapshot.
    const watcher = await viewer('Layout watcher');
    expect(watcher.room.layout).toEqual({ mode: 'spotlight', pinnedPeerId: robo.peerId });
    watcher.room.close();

    // A change through the REST API shows in the studio.
    await ingest.api('PUT', `/api/rooms/${room.id}/layout`, { mode: 'grid', pinnedPeerId: null });
    await pressed(layoutButton(page, 'Grid'), 'Grid, chosen through REST, to show');
    await picker.waitFor({ state: 'detached' });

    // "Pin to air" on a tile is the shortcut to the spotlight.
    await tile('Robo').getByRole('button', { name: 'Pin Robo to air' }).click();
    await pressed(layoutButton(page, 'Spotlight'), 'the tile pin to choose Spotlight');
    expect(await layoutOnServer()).toEqual({ mode: 'spotlight', pinnedPeerId: robo.peerId });
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await screenshots('layout');
    await page.setViewportSize(PHONE);
    await panel.locator('.layout-control').scrollIntoViewIfNeeded();
    await panel
      .locator('.layout-control')
      .screenshot({ path: `${ARTIFACTS}/broadcaster-layout-control-mobile.png` });
    await page.setViewportSize(DESKTOP);

    // Pressing the pin again goes back to the automatic layout for the steps that follow.
    await tile('Robo').getByRole('button', { name: 'Pin Robo to air' }).click();
    await pressed(layoutButton(page, 'Auto'), 'Auto again');
    expect(await layoutOnServer()).toEqual({ mode: 'auto', pinnedPeerId: null });
  });

  it(
    '"Go live" goes through starting to live; the links are offered and the HLS preview plays',
    { timeout: 120_000 },
    async () => {
      await page.getByRole('button', { name: 'Go live' }).click();
      await page.getByRole('button', { name: 'End broadcast' }).waitFor();
      await waitFor(
        async () => (await page.getByTestId('live-state').textContent())?.includes('Live'),
        'the live state',
        60_000,
      );
      await expect(page.getByTestId('live-state').textContent()).resolves.toMatch(/Live\s*\d+:\d\d/);

      await page.getByRole('tab', { name: 'Broadcast' }).click();
      const panel = page.getByRole('tabpanel', { name: 'Broadcast' });
      await expect(panel.getByRole('textbox', { name: 'Viewer link' }).inputValue()).resolves.toBe(
        room.links.viewer,
      );
      await expect(panel.getByRole('textbox', { name: 'HLS stream URL' }).inputValue()).resolves.toBe(
        `${ingest.url}/hls/${room.id}/master.m3u8`,
      );
      await expect(panel.getByRole('button', { name: 'Copy HLS stream URL' }).isVisible()).resolves.toBe(
        true,
      );
      await plays(panel.getByLabel('Preview of the broadcast'), 'the HLS preview', 60_000);
      await expect(panel.locator('.bc-state').textContent()).resolves.toMatch(/^Live · \d+:\d\d$/);
      await screenshots('live');
    },
  );

  it(
    'live: a co-host picks a layout; the host page and the picture on air follow; reduced quality and a refusal show',
    { timeout: 150_000 },
    async () => {
      const context = await browser.newContext({ viewport: DESKTOP });
      cleanups.push(() => context.close());
      const cohost: TamperedPage = { page: await context.newPage(), degrade: false, pinNobody: false };
      await context.routeWebSocket(/\/socket\.io\//, (ws) => tamper(ws, cohost));
      const co = cohost.page;
      co.on('pageerror', (error) => console.error('[co-host page error]', error.message));
      try {
        await co.goto(room.links.cohost);
        await co.getByLabel('Your name').fill('Cora');
        await co.getByRole('button', { name: 'Join stage' }).click();
        await co.getByRole('figure', { name: /^Cora\b/ }).waitFor();
        await co.getByRole('tab', { name: 'Broadcast' }).click();
        await pressed(layoutButton(co, 'Auto'), "Auto on the co-host's page");

        // Whatever Auto resolves to, the host sees what is on air.
        const onAir = page.getByTestId('on-air');
        const onAirText = async () => (await onAir.textContent())?.trim() ?? '';
        await waitFor(
          async () => /^On air: (grid|speaker|spotlight|screen share) · \d+ tiles?$/.test(await onAirText()),
          'what is on air',
          ON_AIR_MS,
        );

        await layoutButton(co, 'Grid').click();
        await pressed(layoutButton(co, 'Grid'), 'Grid on the co-host page');
        await pressed(layoutButton(page, 'Grid'), "the co-host's Grid on the host page");
        await waitFor(
          async () => (await onAirText()) === 'On air: grid · 3 tiles',
          'a grid of three on air',
          ON_AIR_MS,
        );

        // The compositor's quality step, as the co-host's page hears it.
        cohost.degrade = true;
        const warning = co.getByTestId('quality');
        await expect(warning.getAttribute('aria-live')).resolves.toBe('polite');
        const expected =
          'Reduced quality to stay live: The machine is short of CPU: 20 fps and a faster preset. Now 20 fps.';
        await waitFor(
          async () => (await warning.textContent())?.includes(expected),
          'the reduced-quality warning',
        );

        // A refusal: the request goes out pinning someone who is not on stage, and the server says no.
        cohost.pinNobody = true;
        await layoutButton(co, 'Speaker').click();
        const refused = 'Could not change the layout: That person is no longer on stage.';
        await co.getByRole('alert').filter({ hasText: refused }).waitFor();
        await pressed(layoutButton(co, 'Grid'), 'Grid to stay chosen after the refusal');
        expect(await layoutOnServer()).toEqual({ mode: 'grid', pinnedPeerId: null });
        await screenshots('layout-live', co);
        await screenshots('layout-live-host');

        cohost.pinNobody = false;
        cohost.degrade = false;
        // The host page is the check. Chromium can be slow to answer Playwright's after-click
        // round trip on a page that just had its viewport changed for screenshots while video
        // plays; nothing here navigates, so there is nothing to wait for.
        await layoutButton(co, 'Auto').click({ noWaitAfter: true });
        await pressed(layoutButton(page, 'Auto'), 'Auto again on the host page');
      } finally {
        // The steps that follow count the tiles: Cora leaves the stage whatever happened here.
        await co
          .getByRole('button', { name: 'Leave', exact: true })
          .click({ timeout: 5000 })
          .catch(() => undefined);
        await context.close();
        await tile('Cora').waitFor({ state: 'detached' });
        await ingest.api('PUT', `/api/rooms/${room.id}/layout`, { mode: 'auto', pinnedPeerId: null });
      }
    },
  );

  it(
    'a viewer raises a hand, is invited from the queue, accepts and appears on stage; "Move to audience" takes them off',
    { timeout: 90_000 },
    async () => {
      const vera = await viewer('Vera');
      const veraHands = new HandsClient(vera.room);
      await veraHands.raise('Can I show my demo?');

      const peopleTab = page.getByRole('tab', { name: /^People/ });
      await waitFor(
        async () => (await peopleTab.textContent())?.includes('1'),
        'the raised-hand count on the People tab',
      );
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
    },
  );

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
    const arrived = nextEvent<[ChatMessage]>(
      (l) => chat.on('message', l),
      (m) => m.text === text,
    );
    await page.getByRole('textbox', { name: 'Chat message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    const [message] = await arrived;
    const item = page.getByRole('listitem').filter({ hasText: text });
    await item.waitFor();
    await expect(page.getByRole('textbox', { name: 'Chat message' }).inputValue()).resolves.toBe('');

    const deleted = nextEvent<[string]>(
      (l) => chat.on('deleted', l),
      (id) => id === message.id,
    );
    await item.hover();
    await item.getByRole('button', { name: 'Delete message' }).click();
    await deleted;
    await item.waitFor({ state: 'detached' });
    expect(chat.messages.some((m) => m.id === message.id)).toBe(false);
  });

  it('"End broadcast" ends it', { timeout: 90_000 }, async () => {
    await page.getByRole('button', { name: 'End broadcast' }).click();
    await waitFor(
      async () => (await page.getByTestId('live-state').textContent())?.includes('Ended'),
      'the ended state',
      60_000,
    );
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
      return (
        host?.producers
          .map((p) => p.source)
          .sort()
          .join() === 'camera,mic'
      );
    }, "the host's camera and mic published again");
    await plays(tile('Robo').locator('video'), "the co-host's tile after reconnecting");
  });
});
