// The guest's way onto the stage, in real browsers: a page publishes the block clock on stage,
// the host goes live (2 s segments, the product default), a viewer is invited, accepts and
// publishes: time to their first frame on the stage (received by the host page) and to the
// first HLS segment that composites their tile. Glass-to-glass figures: glass-to-glass.mjs.
import { clockTrack, launch, publishClock, sdkPage } from './browser.mjs';
import { startIngest } from './ingestProcess.mjs';
import { startTranscoder } from './transcoderProcess.mjs';
import { BENCH_REDIS_URL, markdownTable, saveSection } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ingest = await startIngest();
const transcoder = startTranscoder(ingest.dataDir);
const browser = await launch();
try {
  const { id } = await ingest.api('POST', '/api/rooms', { name: 'stage invite' });
  const token = async (role, name) =>
    (await ingest.api('POST', `/api/rooms/${id}/tokens`, { role, name })).token;
  const host = await sdkPage(browser, ingest.url);
  await publishClock(host, ingest.url, await token('host', 'Host'));
  await sleep(1500);
  await host.evaluate(() => window.room.request('broadcast:start', {}));
  await sleep(3000);

  // A viewer goes on stage.
  const guest = await sdkPage(browser, ingest.url);
  await guest.evaluate(
    async ({ url, token }) => {
      window.room = await window.Stagecast.connect({ url, token });
    },
    { url: ingest.url, token: await token('viewer', 'Guest') },
  );
  await host.evaluate(() => {
    window.guestFrameAt = null;
    // The host's own stage (one per room connection) receives the guest.
    window.stage.on('trackAdded', (t) => {
      if (t.kind !== 'video') return;
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = new MediaStream([t.track]);
      void video.play();
      video.requestVideoFrameCallback(() => (window.guestFrameAt ??= Date.now()));
    });
  });
  const guestPeerId = await guest.evaluate(() => window.room.self.peerId);
  const invite = await host.evaluate(
    (peerId) => window.room.request('stage:invite', { peerId }),
    guestPeerId,
  );
  const acceptedAt = await guest.evaluate(async (inviteId) => {
    await window.room.request('stage:respondInvite', { inviteId, accept: true });
    return Date.now();
  }, invite.inviteId);
  await publishGuest(guest);
  const guestFrameAt = await waitForValue(host, () => window.guestFrameAt, 30_000);
  const guestInHlsAt = await waitForTiles(id, 2, acceptedAt);

  const row = {
    inviteToStageMs: guestFrameAt - acceptedAt,
    inviteToHlsMs: guestInHlsAt === null ? null : guestInHlsAt - acceptedAt,
  };
  saveSection('stageInvite', {
    description:
      'a viewer invited on stage accepts and publishes a 640x360 canvas; first frame received by the host page, first HLS segment (2 s) compositing their tile',
    ...row,
  });
  console.log(
    markdownTable(
      [row],
      [
        { key: 'inviteToStageMs', label: 'accept → guest on stage (ms)' },
        { key: 'inviteToHlsMs', label: 'accept → guest in HLS (ms)' },
      ],
    ),
  );
} finally {
  await browser.close();
  await transcoder.stop();
  await ingest.stop();
}
process.exit(0);

async function publishGuest(page) {
  const track = await clockTrack(page);
  await page.evaluate(async (track) => {
    const stage = new window.Stagecast.Stage(window.room);
    await stage.start();
    await stage.publish('camera', track);
  }, track);
}

async function waitForValue(page, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn);
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

/** When the live playlist first lists a segment made after the stage had `tiles` tiles. */
async function waitForTiles(roomId, tiles, since) {
  const { Queue } = await import('bullmq');
  const queue = new Queue('composite', { connection: { url: BENCH_REDIS_URL } });
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const jobs = await queue.getJobs(['active']);
      const job = jobs.find((j) => j.id?.startsWith(`${roomId}.`));
      if (job?.progress?.tiles >= tiles) {
        const sessionAt = Date.now();
        // The first segment of the new session is listed a segment length later at the earliest.
        const before = await lastSegment(roomId);
        while (Date.now() < deadline) {
          const now = await lastSegment(roomId);
          if (now && now !== before) return Date.now();
          await sleep(100);
        }
        return sessionAt;
      }
      await sleep(100);
    }
    return null;
  } finally {
    await queue.close();
  }
  async function lastSegment(id) {
    const master = await fetch(`${ingest.url}/hls/${id}/master.m3u8`).then((r) => r.text());
    const variant = master.split('\n').find((l) => l && !l.startsWith('#'));
    const media = await fetch(`${ingest.url}/hls/${id}/${variant}`).then((r) => r.text());
    return media
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .at(-1);
  }
}
