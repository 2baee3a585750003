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

let bundle;
export async function sdkBundle() {
  if (bundle) return bundle;
  // Both entries of the SDK: the core and the stage.
  const require = createRequire(import.meta.url);
  const entries = [require.resolve('@stagecast/sdk'), require.resolve('@stagecast/sdk/stage')];
  const result = await build({
    stdin: {
      contents: entries.map((entry) => `export * from ${JSON.stringify(entry)};`).join('\n'),
      resolveDir: process.cwd(),
    },
    bundle: true,
    format: 'iife',
    globalName: 'Stagecast',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0].text;
  return bundle;
}

export async function sdkPage(browser, origin) {
  const page = await browser.newPage();
  await page.goto(`${origin}/healthz`);
  await page.addScriptTag({ content: await sdkBundle() });
  await page.addScriptTag({ content: CLOCK_CODEC });
  return page;
}

/** Publishes a canvas showing the wall clock as the page's camera. */
export async function publishClock(page, url, token, name = 'Clock') {
  await page.evaluate(
    async ({ url, token, name }) => {
      const room = await window.Stagecast.connect({ url, token });
      const stage = new window.Stagecast.Stage(room);
      await stage.start();
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 360;
      document.body.append(canvas);
      const ctx = canvas.getContext('2d');
      const paint = () => {
        window.drawClock(ctx, 640, 360);
        ctx.fillStyle = '#fff';
        ctx.font = '28px sans-serif';
        ctx.fillText(name, 20, 40);
      };
      setInterval(paint, 10);
      paint();
      const [track] = canvas.captureStream(30).getVideoTracks();
      await stage.publish('camera', track);
      window.room = room;
    },
    { url, token, name },
  );
}

/**
 * In-page helpers: `drawClock(ctx)` paints the wall clock (ms mod 2^20) as 20 black/white
 * blocks; `readClock(ctx)` reads it back from a frame drawn on a canvas of the same size.
 */
const CLOCK_CODEC = `
window.CLOCK_BITS = 20;
window.drawClock = (ctx, w, h) => {
  const t = Date.now() % (1 << 20);
  const bw = w / 20, bh = h / 3;
  ctx.fillStyle = '#808080'; ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < 20; i++) {
    ctx.fillStyle = (t >> (19 - i)) & 1 ? '#ffffff' : '#000000';
    ctx.fillRect(i * bw, bh, bw, bh);
  }
};
window.readClock = (ctx, w, h) => {
  const bw = w / 20, bh = h / 3;
  const data = ctx.getImageData(0, 0, w, h).data;
  let t = 0;
  for (let i = 0; i < 20; i++) {
    const x = Math.floor(i * bw + bw / 2), y = Math.floor(bh * 1.5);
    const lum = data[(y * w + x) * 4];
    t = (t << 1) | (lum > 128 ? 1 : 0);
  }
  return t;
};
window.clockLatency = (decoded) => {
  const now = Date.now() % (1 << 20);
  return (now - decoded + (1 << 20)) % (1 << 20);
};
`;
