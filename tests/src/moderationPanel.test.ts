import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { BanListResponse, CreateRoomResponse } from '@stagecast/protocol';
import { ChatClient, connect, joinWithCode, type Room } from '@stagecast/sdk';
import { launchChromium } from './helpers/chromium.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';

/*
 * The host app's Moderation panel (People tab) in Debian's Chromium against a real ingest:
 * the ban list and lifting a ban, and rotating the viewer link, by keyboard only. Build the
 * UI first: `npm run build -w @stagecast/broadcaster-ui`.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

let ingest: TestIngest;
let browser: Browser;
let room: CreateRoomResponse;
let page: Page;
const clients: Room[] = [];

beforeAll(async () => {
  if (!existsSync(repo('broadcaster-ui/dist/index.html')))
    throw new Error('broadcaster-ui is not built: run "npm run build -w @stagecast/broadcaster-ui"');
  await mkdir(ARTIFACTS, { recursive: true });
  ingest = await TestIngest.start({ redisUrl: await ownRedisDatabase(1) });
  browser = await launchChromium();
  room = await ingest.createRoom('Moderated room');
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await browser?.close();
  await ingest?.close();
});

async function viaViewerLink(link: string, name: string): Promise<Room> {
  const { token } = await joinWithCode(ingest.url, link.split('/').pop() ?? '', name);
  const client = await connect({ url: ingest.url, token, reconnect: false });
  clients.push(client);
  return client;
}

async function screenshots(name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/moderation-${name}.png` });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: `${ARTIFACTS}/moderation-${name}-mobile.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/** Moves the keyboard focus to `name` with Tab (at most 80 presses); fails if it never gets there. */
async function tabTo(name: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() : '';
    });
    if (focused === name) return;
  }
  throw new Error(`"${name}" cannot be reached with the keyboard`);
}

describe('host app moderation panel', () => {
  it('lists bans and lifts one, and replaces the viewer link, from the keyboard', async () => {
    await page.goto(room.links.host);
    await page.getByLabel('Your name').fill('Hosta');
    await page.getByRole('button', { name: 'Join stage' }).click();
    await page.getByRole('heading', { name: 'Moderated room' }).waitFor();

    const troll = await viaViewerLink(room.links.viewer, 'Troll');
    const watcher = await viaViewerLink(room.links.viewer, 'Watcher');
    const host = await connect({ url: ingest.url, token: await ingest.token(room.id, 'host', 'Api host') });
    clients.push(host);
    await new ChatClient(host).ban(troll.self.peerId, 'spam');

    await page.getByRole('tab', { name: 'People' }).click();
    const bans = page.getByTestId('bans');
    await bans.getByTestId('ban').filter({ hasText: 'Troll' }).waitFor();
    await expect(bans.getByTestId('ban').first().innerText()).resolves.toContain('by Api host');
    await screenshots('bans');

    await tabTo('Let Troll back in');
    await page.keyboard.press('Enter');
    await bans.getByText('Nobody was removed').waitFor();
    const listed = await ingest.api<BanListResponse>('GET', `/api/rooms/${room.id}/bans`);
    expect(listed.body.bans).toEqual([]);

    const closed = nextEvent<[string, string]>((l) => watcher.on('closed', l));
    await tabTo('New link');
    await page.keyboard.press('Enter');
    await page.getByText('Disconnect everyone who joined with the viewer link?').waitFor();
    await screenshots('rotate-confirm');
    // The confirmation takes the focus.
    await expect(page.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toBe('Replace');
    await page.keyboard.press('Enter');
    expect((await closed)[0]).toBe('link-rotated');

    const field = page.getByTestId('links').getByRole('textbox', { name: 'Viewer link' });
    await waitFor(async () => (await field.inputValue()) !== room.links.viewer, 'the new viewer link');
    const newLink = await field.inputValue();
    const info = await ingest.api<{ links: CreateRoomResponse['links'] }>('GET', `/api/rooms/${room.id}`);
    expect(newLink).toBe(info.body.links.viewer);
    expect((await viaViewerLink(newLink, 'Newcomer')).role).toBe('viewer');
    await screenshots('links');
  });

  it('hosts move co-hosts to the audience or remove them from the People tab', async () => {
    const cora = await connect({ url: ingest.url, token: await ingest.token(room.id, 'cohost', 'Cora') });
    const cody = await connect({ url: ingest.url, token: await ingest.token(room.id, 'cohost', 'Cody') });
    clients.push(cora, cody);
    const demoted = nextEvent<[string, string]>((l) => cora.on('roleChanged', l));
    await page.getByRole('button', { name: 'Move Cora to audience' }).click();
    expect(await demoted).toEqual(['viewer', 'demoted']);

    const removed = nextEvent<[string, string]>((l) => cody.on('closed', l));
    const remove = page.getByRole('button', { name: 'Remove Cody from the room' });
    await remove.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Confirm removing Cody' }).waitFor();
    await page.keyboard.press('Enter');
    expect((await removed)[0]).toBe('banned');
    await page.getByTestId('ban').filter({ hasText: 'Cody' }).waitFor();
    await expect(page.getByTestId('ban').filter({ hasText: 'Cody' }).innerText()).resolves.toContain(
      'Co-host',
    );
  });
});
