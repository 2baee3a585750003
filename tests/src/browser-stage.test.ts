import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type * as Sdk from '@stagecast/sdk';
import type * as SdkStage from '@stagecast/sdk/stage';
import { TestIngest, waitFor } from './helpers/servers.js';
import { launchChromium } from './helpers/chromium.js';
import { sdkBrowserBundle } from './helpers/sdkBundle.js';

declare global {
  interface Window {
    Stagecast: typeof Sdk & typeof SdkStage;
    stage?: SdkStage.Stage;
    received?: string[];
  }
}

let ingest: TestIngest;
let browser: Browser;
beforeAll(async () => {
  ingest = await TestIngest.start();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await ingest?.close();
});

/** A page on the ingest origin with the SDK loaded. */
async function sdkPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${ingest.url}/healthz`);
  await page.addScriptTag({ content: await sdkBrowserBundle() });
  return page;
}

/** Bytes received per kind, from the receive transport's inbound-rtp stats. */
function inboundBytes(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const report = await window.stage?.getStats('recv');
    const bytes: Record<string, number> = {};
    report?.forEach((s: { type: string; kind?: string; bytesReceived?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind) bytes[s.kind] = (bytes[s.kind] ?? 0) + (s.bytesReceived ?? 0);
    });
    return bytes;
  });
}

it('a browser publishes camera and microphone through the SDK and another browser receives both', async () => {
  const { id } = await ingest.createRoom('Browser stage');
  const publisherToken = await ingest.token(id, 'host', 'Publisher');
  const receiverToken = await ingest.token(id, 'cohost', 'Receiver');

  const publisher = await sdkPage();
  await publisher.evaluate(
    async ({ url, token }) => {
      const room = await window.Stagecast.connect({ url, token });
      const stage = new window.Stagecast.Stage(room);
      window.stage = stage;
      await stage.start();
      const media = await navigator.mediaDevices.getUserMedia({
        video: { width: 640, height: 360 },
        audio: true,
      });
      const [video] = media.getVideoTracks();
      const [audio] = media.getAudioTracks();
      if (!video || !audio) throw new Error('fake devices missing');
      await stage.publish('camera', video);
      await stage.publish('mic', audio);
    },
    { url: ingest.url, token: publisherToken },
  );

  const receiver = await sdkPage();
  await receiver.evaluate(
    async ({ url, token }) => {
      const room = await window.Stagecast.connect({ url, token });
      const stage = new window.Stagecast.Stage(room);
      window.stage = stage;
      window.received = [];
      stage.on('trackAdded', (t) => window.received?.push(`${t.kind}:${t.source}`));
      await stage.start();
    },
    { url: ingest.url, token: receiverToken },
  );

  await waitFor(
    async () => (await receiver.evaluate(() => window.received ?? [])).length === 2,
    'the receiver to get both tracks',
  );
  expect((await receiver.evaluate(() => window.received ?? [])).sort()).toEqual([
    'audio:mic',
    'video:camera',
  ]);

  const first = await waitFor(async () => {
    const b = await inboundBytes(receiver);
    return (b.video ?? 0) > 0 && (b.audio ?? 0) > 0 ? b : null;
  }, 'inbound bytes on both tracks');
  const later = await waitFor(async () => {
    const b = await inboundBytes(receiver);
    return (b.video ?? 0) > (first.video ?? 0) + 10_000 && (b.audio ?? 0) > (first.audio ?? 0) ? b : null;
  }, 'inbound byte counters to grow');
  expect(later.video).toBeGreaterThan(first.video ?? 0);
});
