import { expect } from 'vitest';
import type { Locator, Page, WebSocketRoute } from 'playwright-core';
import { waitFor } from './servers.js';

/* Page helpers of the studio (broadcaster app) tests. */

/**
 * Every side-panel tab shows its whole label (nothing cut with an ellipsis) and lies inside the
 * tab list's scrollable row, at the page's current size.
 */
export async function tabsReadable(on: Page, size: string): Promise<void> {
  const tabs = on.getByRole('tablist', { name: 'Panels' }).getByRole('tab');
  expect(await tabs.count()).toBe(5);
  const cut = await tabs.evaluateAll((elements) =>
    elements.flatMap((tab) => {
      const list = tab.parentElement;
      if (!list) return ['no tab list'];
      const label = tab.querySelector(':scope > span:not(.badge)');
      const clipped = [tab, label].some((part) => !part || part.scrollWidth > part.clientWidth);
      const right = tab.getBoundingClientRect().right - list.getBoundingClientRect().left + list.scrollLeft;
      return clipped || right > list.scrollWidth + 1 ? [tab.textContent?.trim() ?? '?'] : [];
    }),
  );
  expect(cut, `tab labels cut at ${size}`).toEqual([]);
}

/** Waits until the video element shows frames and its clock advances. */
export async function plays(video: Locator, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    () => video.evaluate((v: HTMLVideoElement) => v.videoWidth > 0),
    `${what} to show a picture`,
    timeoutMs,
  );
  const t0 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  await waitFor(
    () => video.evaluate((v: HTMLVideoElement, t: number) => v.currentTime > t + 1, t0),
    `${what} to play on`,
    timeoutMs,
  );
}

/** The layout control's button for a mode, by its visible label. */
export function layoutButton(on: Page, label: string): Locator {
  return on.getByRole('group', { name: 'Layout' }).getByRole('button', { name: label, exact: true });
}

export async function pressed(button: Locator, what: string): Promise<void> {
  await waitFor(async () => (await button.getAttribute('aria-pressed')) === 'true', what);
}

/**
 * A second studio page whose Socket.IO traffic passes through the test, which can change it on
 * the way: the compositor's progress reports say it lowered quality, and layout requests pin
 * someone who is not on stage (so the real server refuses them).
 */
export interface TamperedPage {
  page: Page;
  degrade: boolean;
  pinNobody: boolean;
}

/** Socket.IO event packets (`42["event",payload]`, `42<ackId>[...]` for requests), as text frames. */
export function tamper(ws: WebSocketRoute, flags: TamperedPage): void {
  const server = ws.connectToServer();
  const rewrite = (
    message: string | Buffer,
    change: (event: string, payload: Record<string, unknown>) => boolean,
  ) => {
    if (typeof message !== 'string') return message;
    const packet = /^42(\d*)(\[.*)$/s.exec(message);
    if (!packet) return message;
    const [event, payload, ...rest] = JSON.parse(packet[2] ?? '[]') as [
      string,
      Record<string, unknown>,
      ...unknown[],
    ];
    return change(event, payload)
      ? `42${packet[1] ?? ''}${JSON.stringify([event, payload, ...rest])}`
      : message;
  };
  ws.onMessage((message) =>
    server.send(
      rewrite(message, (event, payload) => {
        if (!flags.pinNobody || event !== 'broadcast:layout') return false;
        Object.assign(payload, { mode: 'spotlight', pinnedPeerId: 'nobody-on-stage' });
        return true;
      }),
    ),
  );
  server.onMessage((message) =>
    ws.send(
      rewrite(message, (event, payload) => {
        if (!flags.degrade || event !== 'broadcast:progress') return false;
        payload.quality = {
          level: 2,
          frameRate: 20,
          reason: 'The machine is short of CPU: 20 fps and a faster preset',
        };
        return true;
      }),
    ),
  );
}
