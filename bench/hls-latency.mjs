// HLS glass-to-glass latency and the guest's way onto the stage, in real browsers:
// - a page publishes a canvas clock on stage, the host goes live, a viewer page plays the
//   HLS with hls.js; latency = wall clock − the playing picture's EXT-X-PROGRAM-DATE-TIME;
// - go-live → first playable segment as seen by that viewer;
// - a viewer is invited, accepts and publishes: time to their first frame on the stage
//   (received by the host page) and to the first HLS segment that composites their tile.
import { launch, publishClock, sdkPage } from './browser.mjs';
import { startIngest } from './ingestProcess.mjs';
import { startTranscoder } from './transcoderProcess.mjs';
import { BENCH_REDIS_URL, markdownTable, percentile, saveSection } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_HLS_SECONDS ?? 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ingest = await startIngest({ STAGECAST_SEGMENT_SECONDS: '1' });
const transcoder = startTranscoder(ingest.dataDir);
const browser = await launch();
try {
  const { id } = await ingest.api('POST', '/api/rooms', { name: 'hls latency' });
  const token = async (role, name) =>
    (await ingest.api('POST', `/api/rooms/${id}/tokens`, { role, name })).token;
  const host = await sdkPage(browser, ingest.url);
  await publishClock(host, ingest.url, await token('host', 'Host'), 'Host');
  await sleep(1500);

  const viewer = await sdkPage(browser, ingest.url);
  await viewer.evaluate(
    async ({ url, token }) => {
      const room = await window.Stagecast.connect({ url, token });
      window.viewerRoom = room;
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      window.player = new window.Stagecast.HlsPlayer(video, { lowLatency: true });
      window.firstFrameAt = null;
      const start = (live) => {
        if (live.state !== 'live' || window.started) return;
        window.started = true;
        window.player.load(live.hlsUrl);
        const onFrame = () => {
          window.firstFrameAt ??= Date.now();
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      };
      room.on('liveState', start);
      start(room.live);
    },
    { url: ingest.url, token: await token('viewer', 'Watcher') },
  );

  const startedAt = Date.now();
  await host.evaluate(() => window.room.request('broadcast:start', {}));
  const firstFrameAt = await waitForValue(viewer, () => window.firstFrameAt, 60_000);
  const goLiveToViewerMs = firstFrameAt - startedAt;

  const samples = [];
  const until = Date.now() + SECONDS * 1000;
  while (Date.now() < until) {
    const ms = await viewer.evaluate(() => {
      const date = window.player.playingDate;
      return date ? Date.now() - date.getTime() : null;
    });
    if (ms !== null) samples.push(ms);
    await sleep(250);
  }

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
    const stage = new window.Stagecast.Stage(window.room);
    stage.on('trackAdded', (t) => {
      if (t.kind !== 'video') return;
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = new MediaStream([t.track]);
      void video.play();
      video.requestVideoFrameCallback(() => (window.guestFrameAt ??= Date.now()));
    });
    return stage.start();
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
    samples: samples.length,
    hlsP50Ms: percentile(samples, 50),
    hlsP95Ms: percentile(samples, 95),
    goLiveToViewerMs,
    inviteToStageMs: guestFrameAt - acceptedAt,
    inviteToHlsMs: guestInHlsAt === null ? null : guestInHlsAt - acceptedAt,
  };
  saveSection('hls', {
    description:
      '1 s segments, hls.js low-latency mode; latency = wall clock − EXT-X-PROGRAM-DATE-TIME of the playing picture (hls.js playingDate)',
    ...row,
  });
  console.log(
    markdownTable(
      [row],
      [
        { key: 'hlsP50Ms', label: 'HLS latency p50 (ms)' },
        { key: 'hlsP95Ms', label: 'HLS latency p95 (ms)' },
        { key: 'goLiveToViewerMs', label: 'go live → viewer plays (ms)' },
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
  await page.evaluate(async () => {
    const stage = new window.Stagecast.Stage(window.room);
    await stage.start();
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d');
    setInterval(() => window.drawClock(ctx, 640, 360), 10);
    window.drawClock(ctx, 640, 360);
    await stage.publish('camera', canvas.captureStream(30).getVideoTracks()[0]);
  });
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
