import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CreateRoomResponse } from '@stagecast/protocol';
import { launchChromium, newPage } from './helpers/chromium.js';
import { TestIngest } from './helpers/servers.js';

/*
 * Polls and reactions in both apps, in Debian's Chromium against a real ingest: the host opens
 * a poll in the Polls tab, a viewer votes in the viewer app, the host sees the result; the
 * viewer's applause floats over the host's stage. Build the UIs first (`npx turbo run build`).
 */

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const ARTIFACTS = repo('tests/artifacts');
const PHONE = { width: 360, height: 740 };

let ingest: TestIngest;
let browser: Browser;
let room: CreateRoomResponse;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  for (const app of ['broadcaster-ui', 'viewer-ui'])
    if (!existsSync(repo(`${app}/dist/index.html`)))
      throw new Error(`${app} is not built: run "npx turbo run build"`);
  await mkdir(ARTIFACTS, { recursive: true });
  ingest = await TestIngest.start();
  browser = await launchChromium();
  room = await ingest.createRoom('Poll room');
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await browser?.close();
  if (room) await ingest?.api('DELETE', `/api/rooms/${room.id}`);
  await ingest?.close();
});

async function screenshots(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.screenshot({ path: `${ARTIFACTS}/polls-${name}.png` });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: `${ARTIFACTS}/polls-${name}-mobile.png`, fullPage: true });
  await page.setViewportSize(size);
}

describe('polls and reactions in the apps', () => {
  it('the viewer app votes and the host app shows the result; reactions float over the stage', async () => {
    const host = await newPage(browser, cleanups);
    await host.goto(room.links.host);
    await host.getByLabel('Your name').fill('Hosta');
    await host.getByRole('button', { name: 'Join stage' }).click();
    await host.getByRole('tab', { name: 'Polls' }).click();
    await host
      .getByRole('tabpanel', { name: 'Polls' })
      .getByRole('textbox', { name: 'Question', exact: true })
      .fill('Which topic next?');
    await host.getByLabel('Option 1').fill('Pricing');
    await host.getByLabel('Option 2').fill('Roadmap');
    await host.getByRole('button', { name: 'Start poll' }).click();
    await host.getByTestId('open-poll').waitFor();

    const viewer = await newPage(browser, cleanups);
    await viewer.goto(room.links.viewer);
    await viewer.getByLabel('Your name').fill('Vera');
    await viewer.getByRole('button', { name: 'Join', exact: true }).click();
    await viewer.getByRole('heading', { name: 'Which topic next?' }).waitFor();
    await viewer.getByRole('radio', { name: 'Roadmap' }).check();
    await screenshots(viewer, 'viewer-vote');
    await viewer.getByRole('button', { name: 'Vote' }).click();
    await viewer.getByTestId('poll-voted').getByText('You voted: Roadmap').waitFor();

    const open = host.getByTestId('open-poll');
    await open.getByText('1 person voted').waitFor();
    await expect(open.getByTestId('poll-result').nth(1).textContent()).resolves.toContain('1 · 100%');

    // Applause from the viewer floats over the host's stage.
    await viewer.getByRole('button', { name: 'React with applause' }).click();
    await host.getByTestId('reaction-overlay').getByText('👏').first().waitFor();
    await screenshots(host, 'host-results');

    // Closing with results shared shows them to the viewer; the host keeps it in the history.
    await host.getByRole('button', { name: 'Close and share results' }).click();
    await viewer.getByTestId('poll-closed').getByText('1 person voted').waitFor();
    await host.getByTestId('poll-history').getByText('Which topic next?').waitFor();
    await screenshots(viewer, 'viewer-closed');
    await screenshots(host, 'host-history');
  });
});
