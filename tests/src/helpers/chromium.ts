import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium with fake camera and microphone (never a downloaded browser). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A page in a fresh desktop-sized context (its own storage), closed by `cleanups`; page errors
 * and Content-Security-Policy violations are printed.
 */
export async function newPage(browser: Browser, cleanups: (() => unknown)[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('[page error]', error.message));
  // The apps' Content-Security-Policy reports what it blocks only on the console.
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy'))
      console.error('[csp]', message.text());
  });
  return page;
}
