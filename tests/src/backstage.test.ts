import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Redis } from 'ioredis';
import type { LiveState, OnAirLayout, RoomInfo, StagePeer } from '@stagecast/protocol';
import { connect, ModerationClient, type Room } from '@stagecast/sdk';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { launchChromium, newPage as openPage } from './helpers/chromium.js';
import { refusal } from './helpers/events.js';
import { ON_AIR_MS, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/*
 * Backstage and on air: a promoted viewer arrives backstage (seen and heard on stage, not in the
 * composite), a host puts them on air from the host app, and the picture the real compositor
 * reports (`live.layout`) gains their tile only then.
 */

const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };
const cleanups: (() => unknown)[] = [];
let ingest: TestIngest;
let transcoder: TranscoderProcess;
let browser: Browser;
let redisUrl = '';

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  // A database of its own: the broadcast's compositor job must go to this file's transcoder.
  redisUrl = await ownRedisDatabase(3);
  ingest = await TestIngest.start({ redisUrl });
  transcoder = TranscoderProcess.start({ dataDir: ingest.dataDir, redisUrl });
  cleanups.push(() => transcoder.stop());
  browser = await launchChromium();
  await Promise.all(['Cody Cohost', 'Gus'].map((name) => botClip(name)));
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await browser?.close();
  await ingest?.close();
}, 60_000);

beforeEach(() => {
  onTestFailed(() => console.error(`--- transcoder ---\n${transcoder.output.join('')}`));
});

async function roomInfo(roomId: string): Promise<RoomInfo> {
  return (await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`)).body;
}

async function stagePeer(roomId: string, name: string): Promise<StagePeer | undefined> {
  return (await roomInfo(roomId)).stage.find((p) => p.name === name);
}

/** The picture on air, as the compositor last reported it. */
async function onAir(roomId: string): Promise<OnAirLayout | undefined> {
  return (await roomInfo(roomId)).live.layout;
}

async function screenshots(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/backstage-${name}.png` });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: `${ARTIFACTS}/backstage-${name}-mobile.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function bot(roomId: string, role: 'cohost' | 'guest', name: string): Promise<Bot> {
  const started = await Bot.start({
    url: ingest.url,
    token: await ingest.token(roomId, role, name),
    name,
    webm: await botClip(name),
  });
  cleanups.push(() => started.stop());
  return started;
}

async function client(roomId: string, role: 'host' | 'cohost', name: string): Promise<Room> {
  const room = await ingest.join(roomId, role, name);
  cleanups.push(() => room.close());
  return room;
}

describe('backstage and on air', () => {
  it(
    'a promoted viewer arrives backstage; the host puts them on air and the composite gains their tile only then',
    { timeout: 400_000 },
    async () => {
      const { id, links } = await ingest.createRoom('Backstage webinar');
      expect((await ingest.api('GET', `/api/rooms/${id}/stage/entry`)).body).toEqual({
        stageEntry: 'backstage',
      });

      const host = await openPage(browser, cleanups);
      await host.goto(links.host);
      await host.getByLabel('Your name').fill('Hanna Host');
      await host.getByRole('button', { name: 'Join stage' }).click();
      const tiles = host.getByTestId('tile');
      await waitFor(async () => (await tiles.count()) === 1, 'the host tile');
      // Hosts and co-hosts who join with their own link arrive on air.
      await host.getByTestId('air-state').getByText('You are on air').waitFor();
      await bot(id, 'cohost', 'Cody Cohost');
      await waitFor(async () => (await tiles.count()) === 2, 'the co-host tile');

      const started = await ingest.api<{ live: LiveState }>('POST', `/api/rooms/${id}/broadcast`, {
        action: 'start',
      });
      expect(started.status).toBe(200);
      await waitFor(async () => (await onAir(id))?.tiles === 2, 'the host and the co-host on air', ON_AIR_MS);

      // A viewer raises a hand, is invited and steps on stage through the device check.
      const viewer = await openPage(browser, cleanups);
      await viewer.goto(links.viewer);
      await viewer.getByLabel('Your name').fill('Vera Viewer');
      await viewer.getByRole('button', { name: 'Join', exact: true }).click();
      await viewer.getByRole('button', { name: 'Raise hand' }).click();
      await host.getByRole('tab', { name: /People/ }).click();
      await host.getByRole('button', { name: 'Invite Vera Viewer' }).click();
      await viewer
        .getByRole('dialog', { name: 'You are invited on stage' })
        .getByRole('button', { name: 'Accept' })
        .click();
      const joinStage = viewer.getByRole('button', { name: 'Join stage' });
      await waitFor(() => joinStage.isEnabled(), 'the device check');
      await joinStage.click();

      // Backstage: on the stage (the host sees and hears her), not in the picture.
      await waitFor(async () => (await tiles.count()) === 3, "the guest's tile at the host");
      const vera = await waitFor(async () => {
        const peer = await stagePeer(id, 'Vera Viewer');
        return peer && peer.producers.length === 2 ? peer : null;
      }, 'the guest producers');
      expect(vera.onAir).toBe(false);
      await viewer.getByTestId('air-state').getByText('You are backstage').waitFor();
      const row = host.getByTestId('stage-person').filter({ hasText: 'Vera Viewer' });
      await row.getByTestId('air-badge').getByText('Backstage').waitFor();
      await host
        .locator(`[data-testid="tile"][data-peer-id="${vera.peerId}"]`)
        .getByTestId('backstage-badge')
        .waitFor();
      // The compositor keeps reporting two tiles while her media flows: give it several reports.
      for (let i = 0; i < 10; i++) {
        const layout = await onAir(id);
        expect(layout?.tiles).toBe(2);
        expect(layout?.peerIds).not.toContain(vera.peerId);
        await new Promise((r) => setTimeout(r, 500));
      }
      await screenshots(host, 'host-guest-backstage');
      await screenshots(viewer, 'guest-backstage');

      // On air, from the host app (keyboard: the button is focusable and answers Enter).
      const putOnAir = host.getByRole('button', { name: 'Put Vera Viewer on air' });
      await putOnAir.focus();
      await host.keyboard.press('Enter');
      await waitFor(
        async () => {
          const layout = await onAir(id);
          return layout?.tiles === 3 && layout.peerIds.includes(vera.peerId);
        },
        'the guest in the picture on air',
        ON_AIR_MS,
      );
      await viewer.getByTestId('air-state').getByText('You are on air').waitFor();
      await row.getByTestId('air-badge').getByText('On air').waitFor();
      expect((await stagePeer(id, 'Vera Viewer'))?.onAir).toBe(true);

      // The host mutes her microphone: the server pauses it and her page says who did it.
      await host.getByRole('button', { name: "Mute Vera Viewer's microphone" }).click();
      await viewer.getByText('A host (Hanna Host) muted your microphone.').waitFor();
      await waitFor(
        async () => (await stagePeer(id, 'Vera Viewer'))?.producers.find((p) => p.source === 'mic')?.paused,
        'her microphone paused on the server',
      );
      await screenshots(viewer, 'guest-on-air-muted');

      // A hard mute of her camera, from the row's menu: the camera goes off and stays off.
      await host.getByLabel('More for Vera Viewer').click();
      await screenshots(host, 'host-guest-on-air-menu');
      await host.getByRole('button', { name: "Hard mute Vera Viewer's camera" }).click();
      await viewer
        .getByText('A host (Hanna Host) muted your camera; only a host can let you turn it back on.')
        .waitFor();
      await waitFor(
        async () => (await stagePeer(id, 'Vera Viewer'))?.hardMuted.includes('camera'),
        'her camera hard-muted',
      );
      await viewer.getByRole('button', { name: 'Turn camera on' }).click();
      await viewer.getByText('only a host can let you turn it back on', { exact: false }).first().waitFor();
      expect(
        (await stagePeer(id, 'Vera Viewer'))?.producers.some((p) => p.source === 'camera' && !p.paused),
      ).toBe(false);

      // Off air again: the picture loses her tile, the stage keeps her.
      await host.getByRole('button', { name: 'Take Vera Viewer off air' }).click();
      await waitFor(
        async () => {
          const layout = await onAir(id);
          return layout?.tiles === 2 && !layout.peerIds.includes(vera.peerId);
        },
        'the guest out of the picture',
        ON_AIR_MS,
      );
      expect(await tiles.count()).toBe(3);
      await viewer.getByTestId('air-state').getByText('You are backstage').waitFor();
    },
  );

  it('REST and socket control of the air, the on-air entry setting, and state kept in Redis across reconnects', async () => {
    const { id } = await ingest.createRoom('Small room', { stageEntry: 'onAir' });
    const host = await client(id, 'host', 'Hanna');
    const coraToken = await ingest.token(id, 'cohost', 'Cora');
    const cora = await connect({ url: ingest.url, token: coraToken, reconnect: false });
    cleanups.push(() => cora.close());
    // A room made on-air: a guest arrives on air directly.
    const gusToken = await ingest.token(id, 'guest', 'Gus');
    const gus = await Bot.start({
      url: ingest.url,
      token: gusToken,
      name: 'Gus',
      webm: await botClip('Gus'),
    });
    cleanups.push(() => gus.stop());
    await waitFor(async () => (await stagePeer(id, 'Gus'))?.onAir === true, 'Gus on air on arrival');

    // The REST API takes him off air; everyone hears of it.
    const off = await ingest.api<{ peerId: string; onAir: boolean }>(
      'POST',
      `/api/rooms/${id}/stage/${gus.peerId}/air`,
      { onAir: false },
    );
    expect(off).toEqual({ status: 200, body: { peerId: gus.peerId, onAir: false } });
    await waitFor(
      () => host.stage.find((p) => p.peerId === gus.peerId)?.onAir === false,
      'the host to see Gus backstage',
    );
    expect(
      (await ingest.api('POST', `/api/rooms/${id}/stage/${gus.peerId}/air`, { onAir: 'yes' })).status,
    ).toBe(400);
    expect((await ingest.api('POST', `/api/rooms/${id}/stage/nobody/air`, { onAir: true })).status).toBe(404);

    // Backstage is kept in Redis: coming back (same identity, new connection) keeps him there,
    // although the room puts newcomers on air.
    await gus.stop();
    await waitFor(async () => (await stagePeer(id, 'Gus')) === undefined, 'Gus gone');
    const again = await Bot.start({
      url: ingest.url,
      token: gusToken,
      name: 'Gus',
      webm: await botClip('Gus'),
    });
    cleanups.push(() => again.stop());
    expect(again.peerId).toBe(gus.peerId);
    await waitFor(async () => (await stagePeer(id, 'Gus'))?.producers.length === 2, 'Gus back on stage');
    await new Promise((r) => setTimeout(r, 500));
    expect((await stagePeer(id, 'Gus'))?.onAir).toBe(false);

    // Co-hosts manage guests' air and their own, not a host's; only hosts change the entry.
    const byCohost = new ModerationClient(cora);
    cleanups.push(() => byCohost.close());
    expect(await byCohost.setOnAir(again.peerId, true)).toBe(true);
    expect((await refusal(byCohost.setOnAir(host.self.peerId, false))).code).toBe('FORBIDDEN');
    expect(await byCohost.setOnAir(cora.self.peerId, false)).toBe(false);
    expect((await refusal(byCohost.setStageEntry('backstage'))).code).toBe('FORBIDDEN');
    const byHost = new ModerationClient(host);
    cleanups.push(() => byHost.close());
    expect(await byHost.setStageEntry('backstage')).toBe('backstage');
    expect((await ingest.api('GET', `/api/rooms/${id}/stage/entry`)).body).toEqual({
      stageEntry: 'backstage',
    });

    // Cora comes back from another connection: still backstage, as she chose.
    cora.close();
    const cora2 = await connect({ url: ingest.url, token: coraToken, reconnect: false });
    cleanups.push(() => cora2.close());
    await waitFor(async () => (await stagePeer(id, 'Cora')) !== undefined, 'Cora back');
    await new Promise((r) => setTimeout(r, 500));
    expect((await stagePeer(id, 'Cora'))?.onAir).toBe(false);

    // Moved to the audience, a guest's state goes: promoted again, he arrives as a newcomer.
    await host.request('stage:demote', { peerId: again.peerId });
    await waitFor(async () => (await stagePeer(id, 'Gus')) === undefined, 'Gus in the audience');
    const redis = new Redis(redisUrl);
    cleanups.push(() => redis.quit());
    await waitFor(
      async () => (await redis.hexists(`stagecast:room:${id}:air`, again.peerId)) === 0,
      'his air state cleared',
    );
    expect(await redis.hget(`stagecast:room:${id}:air`, cora2.self.peerId)).toBe('0');
  });
});
