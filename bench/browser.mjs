// Headless Chromium with the SDK loaded on the ingest origin, for browser benchmarks.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export async function launch() {
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

const bundles = new Map();
/** An IIFE bundle of `entries` (module paths) whose exports are `window[globalName]`. */
async function bundle(globalName, entries) {
  if (bundles.has(globalName)) return bundles.get(globalName);
  const result = await build({
    stdin: {
      contents: entries.map((entry) => `export * from ${JSON.stringify(entry)};`).join('\n'),
      resolveDir: process.cwd(),
    },
    bundle: true,
    format: 'iife',
    globalName,
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  bundles.set(globalName, result.outputFiles[0].text);
  return bundles.get(globalName);
}

export function sdkBundle() {
  // Both entries of the SDK: the core and the stage.
  const require = createRequire(import.meta.url);
  return bundle('Stagecast', [require.resolve('@stagecast/sdk'), require.resolve('@stagecast/sdk/stage')]);
}

/** `window.BlockClock`: the block clock's painter and the reader of a <video> (tests/src/helpers). */
function clockBundle() {
  const helpers = new URL('../tests/dist/helpers/', import.meta.url).pathname;
  return bundle('BlockClock', [`${helpers}blockClock.js`, `${helpers}ClockWatcher.js`]);
}

export async function sdkPage(browser, origin) {
  const page = await browser.newPage();
  await page.goto(`${origin}/healthz`);
  await page.addScriptTag({ content: await sdkBundle() });
  await page.addScriptTag({ content: await clockBundle() });
  return page;
}

/**
 * In the page: a 640x360 canvas painting the wall clock as blocks at every timer tick (10 ms:
 * a captured frame shows a time at most that old) and its 30 fps capture track.
 */
export async function clockTrack(page) {
  return page.evaluateHandle(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    document.body.append(canvas);
    const ctx = canvas.getContext('2d');
    const paint = () => window.BlockClock.paintClock(ctx, 640, 360, Date.now());
    setInterval(paint, 10);
    paint();
    return canvas.captureStream(30).getVideoTracks()[0];
  });
}

/** Connects with `token` and publishes the block clock as the page's camera (`window.room`, `window.stage`). */
export async function publishClock(page, url, token) {
  const track = await clockTrack(page);
  await page.evaluate(
    async ({ url, token, track }) => {
      const room = await window.Stagecast.connect({ url, token });
      const stage = new window.Stagecast.Stage(room);
      await stage.start();
      await stage.publish('camera', track);
      window.room = room;
      window.stage = stage;
    },
    { url, token, track },
  );
}

/** Polls `fn` in the page every 20 ms until it returns a truthy value, which it resolves with. */
export async function waitInPage(page, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
