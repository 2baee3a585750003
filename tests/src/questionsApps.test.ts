import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Question } from '@stagecast/protocol';
import { QuestionsClient, type Room } from '@stagecast/sdk';
import { TestIngest, waitFor } from './helpers/servers.js';
import { nextEvent } from './helpers/events.js';
import { launchChromium } from './helpers/chromium.js';
import type { Browser } from 'playwright-core';
import type { CreateRoomResponse } from '@stagecast/protocol';

describe('Q&A in the apps (upvote from the viewer page, highlight from the host app)', () => {
  let ingest: TestIngest;
  let browser: Browser;
  const rooms: Room[] = [];
  beforeAll(async () => {
    ingest = await TestIngest.start();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    for (const r of rooms) r.close();
    await browser?.close();
    await ingest?.close();
  });

  it('a viewer asks and upvotes with the keyboard; the host sorts, marks answered and puts it on air', async () => {
    const room = (await ingest.api<CreateRoomResponse>('POST', '/api/rooms', { name: 'Town hall' })).body;
    const asha = await ingest.join(room.id, 'viewer', 'Asha');
    rooms.push(asha);
    const ashaQa = new QuestionsClient(asha);
    const early = await ashaQa.ask('What is next on the roadmap?');

    const viewer = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
    await viewer.goto(room.links.viewer);
    await viewer.getByLabel('Your name').fill('Vik');
    await viewer.getByRole('button', { name: 'Join', exact: true }).click();
    await viewer.getByLabel('Your question').fill('Can I ask from my phone?');
    await viewer.getByLabel('Your question').press('Enter');
    await viewer.getByText('Can I ask from my phone?').waitFor();
    // Own questions cannot be upvoted; Asha's can, from the keyboard.
    await expect(viewer.getByRole('button', { name: /question by Vik/ }).isDisabled()).resolves.toBe(true);
    const upvote = viewer.getByRole('button', { name: /Upvote question by Asha/ });
    await upvote.focus();
    await viewer.keyboard.press('Enter');
    await viewer.getByRole('button', { name: /Remove upvote from question by Asha, 1 vote$/ }).waitFor();
    await waitFor(
      () => ashaQa.questions.find((q) => q.id === early.id)?.votes === 1,
      'the vote to reach Asha',
    );

    const host = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await host.goto(room.links.host);
    await host.getByLabel('Your name').fill('Hana');
    await host.getByRole('button', { name: 'Join stage' }).click();
    await host.getByRole('tab', { name: /Q&A/ }).click();
    const list = host.getByRole('list', { name: 'Questions' });
    await list.getByText('Can I ask from my phone?').waitFor();
    // Most votes first, then oldest first.
    await expect(list.locator('.text').allTextContents()).resolves.toEqual([
      'What is next on the roadmap?',
      'Can I ask from my phone?',
    ]);
    await host.getByRole('radio', { name: 'Oldest first' }).check();
    await host.getByRole('button', { name: 'Answered' }).first().click();
    await waitFor(() => ashaQa.questions.find((q) => q.id === early.id)?.answered === true, 'answered');
    const onAir = nextEvent<[Question | null]>((l) => ashaQa.on('highlighted', l));
    await host.getByRole('button', { name: 'Show on air' }).nth(1).click();
    expect((await onAir)[0]?.text).toBe('Can I ask from my phone?');
    await viewer.locator('.on-air').getByText('Can I ask from my phone?').waitFor();
  }, 120_000);
});
