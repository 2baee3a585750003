import type { Page } from 'playwright-core';
import { waitFor } from './servers.js';

/** Opens the viewer link in `page`, types a name and joins. */
export async function joinViewerApp(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.getByLabel('Chat message').waitFor();
}

/** Viewer app: accepts an invitation, passes the device check and waits to be on stage. */
export async function acceptAndJoinStage(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Accept' }).click();
  const join = page.getByRole('button', { name: 'Join stage' });
  // Opening the fake camera waits for the CPU that FFmpeg and the HLS player share.
  await waitFor(() => join.isEnabled(), 'the device check', 30_000).catch(async (error: unknown) => {
    const shown = await page
      .locator('dialog.backstage')
      .innerText()
      .catch(() => 'no backstage dialog');
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; the backstage shows: ${shown}`,
    );
  });
  await join.click();
  await page.getByRole('button', { name: 'Leave stage' }).waitFor();
}
