import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { BroadcastProgress, ChatMessage, HandEntry, RoomInfo } from '@stagecast/protocol';
import type { Room } from '@stagecast/sdk';
import { launchChromium, newPage as openPage } from './helpers/chromium.js';
import { botClip } from './helpers/botClip.js';
import { ON_AIR_MS, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { Bot } from './bot/Bot.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';
import { acceptAndJoinStage, joinViewerApp } from './helpers/viewerApp.js';

/*
 * The viewer app (viewer-ui/dist, served by a real ingest) in Debian's Chromium with a fake
 * camera and microphone; hosts are SDK clients in Node. Build the UI first:
 * `npm run build -w @stagecast/viewer-ui`.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');
const UI_BUILT = existsSync(repo('viewer-ui/dist/index.html'));

let ingest: TestIngest;
let redisUrl = '';
let browser: Browser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  if (!UI_BUILT) throw new Error('viewer-ui is not built: run "npm run build -w @stagecast/viewer-ui"');
  await mkdir(ARTIFACTS, { recursive: true });
  redisUrl = await ownRedisDatabase(13);
  ingest = await TestIngest.start({ redisUrl });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
});

const newPage = (): Promise<Page> => openPage(browser, cleanups);

/** Screenshots at desktop and phone sizes, back to desktop afterwards. */
async function screenshots(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/viewer-${name}.png` });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: `${ARTIFACTS}/viewer-${name}-mobile.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function hostOf(roomId: string, name = 'Hosta'): Promise<Room> {
  const host = await ingest.join(roomId, 'host', name);
  cleanups.push(() => host.close());
  return host;
}

/** Opens the viewer link in a new page, types a name and joins. */
async function joinAsViewer(link: string, name: string): Promise<Page> {
  const page = await newPage();
  await joinViewerApp(page, link, name);
  return page;
}

async function peerIdOf(host: Room, name: string): Promise<string> {
  const member = await waitFor(
    async () => (await host.request('audience:list', {})).find((m) => m.name === name),
    `${name} in the audience`,
  );
  return member.peerId;
}

async function roomInfo(roomId: string): Promise<RoomInfo> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body;
}

describe('viewer-ui', () => {
  it('a viewer joins with a name and sees the waiting card before the broadcast', async () => {
    const { id, name, links } = await ingest.createRoom('Waiting room');
    const page = await joinAsViewer(links.viewer, 'Wanda');
    await expect(page.getByTestId('waiting').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('waiting').textContent()).resolves.toContain('has not started');
    await expect(page.getByRole('heading', { name }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Raise hand' }).isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('hls-player').count()).resolves.toBe(0);
    await waitFor(async () => (await roomInfo(id)).viewers >= 1, 'the viewer to be counted');
    await screenshots(page, 'waiting');
  });

  it('embeds show only the player or only the chat', async () => {
    const { links } = await ingest.createRoom('Embeds');
    const code = new URL(links.viewer).pathname.split('/').pop() ?? '';
    const player = await newPage();
    await player.goto(`${ingest.url}/embed/watch/${code}?view=player`);
    await player.getByTestId('waiting').waitFor();
    await expect(player.getByLabel('Chat message').count()).resolves.toBe(0);
    await expect(player.getByRole('banner').count()).resolves.toBe(0);

    const chat = await newPage();
    await chat.goto(`${ingest.url}/embed/watch/${code}?view=chat&name=Embedded`);
    await chat.getByLabel('Chat message').waitFor();
    await expect(chat.getByTestId('waiting').count()).resolves.toBe(0);
  });

  it('chats both ways with a host; text stays text; deleted and pinned messages follow the host', async () => {
    const { id, links } = await ingest.createRoom('Chat room');
    const host = await hostOf(id);
    await host.request('chat:send', { clientId: 'host-hello', text: 'Welcome, everyone' });
    const page = await joinAsViewer(links.viewer, 'Chatty');
    // History from the snapshot.
    await page.getByText('Welcome, everyone').waitFor();

    const received = new Promise<ChatMessage>((resolve) =>
      host.socket.on('chat:message', (m) => {
        if (m.sender.name === 'Chatty') resolve(m);
      }),
    );
    const markup = 'Hi <b>host</b> & <img src=x onerror=alert(1)>';
    await page.getByLabel('Chat message').fill(markup);
    await page.getByRole('button', { name: 'Send' }).click();
    const fromViewer = await received;
    expect(fromViewer.text).toBe(markup);
    await page.getByText(markup, { exact: true }).waitFor();
    await expect(page.locator('.messages b, .messages img').count()).resolves.toBe(0);

    const live = await host.request('chat:send', { clientId: 'host-live', text: 'Glad you are here' });
    await page.getByText('Glad you are here').waitFor();
    await host.request('chat:pin', { messageId: live.id });
    await page.getByLabel('Pinned message').getByText('Glad you are here').waitFor();
    await host.request('chat:delete', { messageId: fromViewer.id });
    await page.getByText(markup, { exact: true }).waitFor({ state: 'detached' });

    // A moderator's mute is explained, with the time left.
    await host.request('chat:mute', { peerId: fromViewer.sender.peerId, seconds: 60 });
    await page.getByText('muted you in the chat').waitFor();
    await expect(page.getByRole('button', { name: 'Send' }).isDisabled()).resolves.toBe(true);
  });

  it('raise hand → invited → backstage → on stage with camera and mic → leave → back to the player', async () => {
    const { id, links } = await ingest.createRoom('Stage room');
    const host = await hostOf(id);
    const page = await joinAsViewer(links.viewer, 'Guesty');

    await page.getByLabel('Question (optional)').fill('Can I show my project?');
    await page.getByRole('button', { name: 'Raise hand' }).click();
    await expect(page.getByTestId('hand-position').textContent()).resolves.toContain('#1');
    await page.getByRole('button', { name: 'Lower hand' }).waitFor();

    const peerId = await peerIdOf(host, 'Guesty');
    await host.request('stage:invite', { peerId });
    const dialog = page.getByRole('dialog', { name: 'You are invited on stage' });
    await dialog.waitFor();
    await expect(dialog.getByText(/Expires in \d+ s/).isVisible()).resolves.toBe(true);
    await screenshots(page, 'invited');
    await dialog.getByRole('button', { name: 'Accept' }).click();

    const join = page.getByRole('button', { name: 'Join stage' });
    await waitFor(() => join.isEnabled(), 'the device check to open camera and microphone');
    await expect(page.getByRole('meter', { name: 'Microphone level' }).isVisible()).resolves.toBe(true);
    await screenshots(page, 'backstage');
    await join.click();

    const onStage = await waitFor(async () => {
      const peer = (await roomInfo(id)).stage.find((p) => p.peerId === peerId);
      return peer && peer.producers.length === 2 ? peer : null;
    }, "the guest's camera and mic producers in GET /api/rooms/:id");
    expect(onStage.role).toBe('guest');
    expect(onStage.producers.map((p) => p.source).sort()).toEqual(['camera', 'mic']);
    // Host and guest, live over WebRTC.
    await waitFor(async () => (await page.getByTestId('tile').count()) === 2, 'two stage tiles');
    // The fake microphone beeps: the server names the guest the active speaker, and the tiles say so.
    await waitFor(
      async () => (await page.locator('[data-testid="tile"][aria-label*="speaking"]').count()) === 1,
      'a tile to show who is speaking',
    );
    await waitFor(
      () =>
        page.evaluate(() =>
          [...document.querySelectorAll<HTMLVideoElement>('[data-testid="tile"] video')].some(
            (v) => v.videoWidth > 0,
          ),
        ),
      'the own tile to show the camera',
    );
    await screenshots(page, 'onstage');

    await page.getByRole('button', { name: 'Mute microphone' }).click();
    await page.getByRole('button', { name: 'Unmute microphone' }).waitFor();
    await waitFor(
      async () =>
        (await roomInfo(id)).stage.find((p) => p.peerId === peerId)?.producers.find((p) => p.source === 'mic')
          ?.paused,
      'the mic producer to be paused',
    );
    await page.getByRole('button', { name: 'Turn camera off' }).click();
    await page.getByRole('button', { name: 'Turn camera on' }).waitFor();

    await page.getByRole('button', { name: 'Leave stage' }).click();
    await page.getByRole('button', { name: 'Raise hand' }).waitFor();
    await expect(page.getByTestId('tile').count()).resolves.toBe(0);
    await page.getByText('You left the stage').waitFor();
    await waitFor(
      async () => !(await roomInfo(id)).stage.some((p) => p.peerId === peerId),
      'the guest to be off stage',
    );
  });

  it('a host moves the guest back to the audience; declining an invitation keeps the viewer watching', async () => {
    const { id, links } = await ingest.createRoom('Demote room');
    const host = await hostOf(id);
    const page = await joinAsViewer(links.viewer, 'Demi');
    const peerId = await peerIdOf(host, 'Demi');

    await host.request('stage:invite', { peerId });
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect(page.getByTestId('waiting').isVisible()).resolves.toBe(true);

    await host.request('stage:invite', { peerId });
    await acceptAndJoinStage(page);
    await waitFor(
      async () => (await roomInfo(id)).stage.find((p) => p.peerId === peerId)?.producers.length === 2,
      'the guest producers',
    );

    await host.request('stage:demote', { peerId });
    await page.getByText('moved you back to the audience').waitFor();
    await page.getByRole('button', { name: 'Raise hand' }).waitFor();
    await expect(page.getByTestId('tile').count()).resolves.toBe(0);
  });

  describe('HLS playback of a real composite', () => {
    // Its own process, as in production: the relay must not share an event loop with the
    // browsers' driver and the ingest server of this test.
    let compositor: TranscoderProcess | undefined;
    beforeAll(() => {
      const started = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
      compositor = started;
      cleanups.push(() => started.stop());
    });
    // A failure is explained by what the transcoder said (LOG_LEVEL=info for its whole story).
    beforeEach(() => {
      onTestFailed(() => console.error(`--- transcoder ---\n${compositor?.output.join('') ?? ''}`));
    });

    /** A room with a host and a bot on stage. */
    async function stageRoom(
      name: string,
    ): Promise<{ id: string; links: { viewer: string }; host: Room; bot: Bot }> {
      const { id, links } = await ingest.createRoom(name);
      const host = await hostOf(id);
      const bot = await Bot.start({
        url: ingest.url,
        token: await ingest.token(id, 'cohost', 'Robo'),
        name: 'Robo',
        webm: await botClip('Robo'),
      });
      cleanups.push(() => bot.stop());
      return { id, links, host, bot };
    }

    async function playing(page: Page): Promise<void> {
      await page.getByTestId('waiting').waitFor({ state: 'detached', timeout: 60_000 });
      const t0 = await page.getByTestId('hls-player').evaluate((v: HTMLVideoElement) => v.currentTime);
      await waitFor(
        () =>
          page
            .getByTestId('hls-player')
            .evaluate((v: HTMLVideoElement, t: number) => v.currentTime > t + 1, t0),
        'playback to advance',
      );
    }

    it(
      'the waiting card turns into playback when the broadcast starts; live controls; quality menu',
      { timeout: 120_000 },
      async () => {
        const { links, host, bot } = await stageRoom('Goes live');
        const page = await joinAsViewer(links.viewer, 'Early');
        await page.getByTestId('waiting').waitFor();
        await host.request('broadcast:start', {});
        await playing(page);
        await page.getByText(/\d+ s behind live/).waitFor();
        await page.getByRole('button', { name: 'Jump to live' }).click();
        await screenshots(page, 'playing');

        const video = page.getByTestId('hls-player');
        const quality = page.getByLabel('Quality');
        const options = await quality.locator('option').allTextContents();
        expect(options).toEqual([expect.stringMatching(/^Auto/), '720p', '480p', '360p']);
        await quality.selectOption({ label: '360p' });
        await waitFor(
          () => video.evaluate((v: HTMLVideoElement) => v.videoHeight === 360),
          'the 360p rendition',
          30_000,
        );
        await quality.selectOption({ label: '720p' });
        await waitFor(
          () => video.evaluate((v: HTMLVideoElement) => v.videoHeight === 720),
          'the 720p rendition',
          30_000,
        );
        expect(await page.getByRole('alert').count()).toBe(0);
        // Two cores: this broadcast, its bot and its player must not run on under the next test's.
        await host.request('broadcast:stop', {});
        await Promise.all([page.close(), bot.stop()]);
      },
    );

    it(
      'invited on stage: HLS paused and muted, producers listed, the composite grows a tile; back to HLS; ended card with the recording',
      { timeout: 180_000 },
      async () => {
        const { id, links, host } = await stageRoom('On and off stage');
        const tiles: number[] = [];
        host.on('broadcastProgress', (p: BroadcastProgress) => tiles.push(p.tiles));
        await host.request('broadcast:start', {});
        const page = await joinAsViewer(links.viewer, 'Watcher');
        await playing(page);
        // The host (on stage without media: a name tile) and the bot.
        await waitFor(() => tiles.at(-1) === 2, 'the composite of the host and the bot', 30_000);
        const video = page.getByTestId('hls-player');

        let queue: HandEntry[] = [];
        host.socket.on('hands:queue', (q) => (queue = q));
        await page.getByRole('button', { name: 'Raise hand' }).click();
        const peerId = await peerIdOf(host, 'Watcher');
        await waitFor(() => queue.some((h) => h.peerId === peerId), 'the raised hand in the queue');
        await host.request('stage:invite', { peerId });
        await acceptAndJoinStage(page);
        // No echo and no delayed copy of oneself: the HLS player rests while on stage.
        await waitFor(
          () => video.evaluate((v: HTMLVideoElement) => v.paused && v.muted),
          'HLS paused and muted on stage',
        );
        await waitFor(
          async () => (await roomInfo(id)).stage.find((p) => p.peerId === peerId)?.producers.length === 2,
          "the guest's producers in GET /api/rooms/:id",
        );
        // A promoted viewer arrives backstage: the composite gains the tile once a host puts them on air.
        await host.request('stage:setOnAir', { peerId, onAir: true });
        await waitFor(() => tiles.at(-1) === 3, 'the composite to gain the guest tile', ON_AIR_MS);
        await screenshots(page, 'onstage-live');

        await page.getByRole('button', { name: 'Leave stage' }).click();
        await waitFor(
          () => video.evaluate((v: HTMLVideoElement) => !v.paused && !v.muted),
          'HLS playing with sound again',
        );
        await playing(page);
        await waitFor(
          async () =>
            Number(
              /(\d+) s behind live/.exec((await page.locator('.latency').textContent()) ?? '')?.[1] ?? 99,
            ) < 10,
          'playback near the live edge',
        );
        await waitFor(() => tiles.at(-1) === 2, 'the composite without the guest', ON_AIR_MS);

        await host.request('broadcast:stop', {});
        await page.getByTestId('ended').waitFor({ timeout: 30_000 });
        await expect(page.getByTestId('hls-player').count()).resolves.toBe(0);
        await page.getByRole('button', { name: 'Watch the recording' }).waitFor();
        await screenshots(page, 'ended');
      },
    );
  });
});
