// True glass-to-glass latency, read back from the picture: a page paints the wall clock as
// blocks (tests/src/helpers/blockClock.ts) into a canvas it publishes on stage; the host page
// receives it over WebRTC and a viewer page plays the HLS with the SDK's HlsPlayer (the viewer
// app's settings); both decode the clock from every frame they present and subtract it from
// their own clock (one machine, one clock). Per pass (classic, then LL): go live → the viewer's
// first frame, latency p50/p95, stall ratio (waiting or frame gaps ÷ time watched). Both passes
// watch the same LL-HLS stream: the classic pass plays it as a classic client (hls.js without
// low-latency mode loads whole segments and ignores parts, as VLC or an older player would).
//   BENCH_GLASS_SECONDS       seconds watched per pass (default 300)
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { launch, publishClock, sdkPage, waitInPage } from './browser.mjs';
import { startIngest } from './ingestProcess.mjs';
import { startTranscoder } from './transcoderProcess.mjs';
import { exitOnSignals, glassTable, percentile, saveSection, sleep, waitForQuiet } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_GLASS_SECONDS ?? 300);
/** Left out of the figures: hls.js settling at its live edge, the encoder at its bitrate. */
const WARM_UP_MS = 5000;
/** The default segment length (STAGECAST_SEGMENT_SECONDS): three 0.4 s parts. */
const SEGMENT_SECONDS = 1.2;
/**
 * The passes. `player`: HlsPlayer options; the LL pass uses the viewer app's for a live room
 * (viewer-ui PlayerState: `lowLatency: live`).
 */
const MODES = [
  { mode: 'classic', player: { lowLatency: false } },
  { mode: 'll', player: { lowLatency: true } },
];

exitOnSignals();
const machine = await waitForQuiet();
const results = {};
const stageLatencies = [];
/** Mode → why its pass failed. */
const errors = {};
for (const pass of MODES) {
  let result;
  try {
    result = await run(pass);
  } catch (error) {
    // The other pass may still measure: say what failed rather than lose the run.
    console.log(`${pass.mode}: failed: ${error.message}`);
    errors[pass.mode] = error.message;
    results[pass.mode] = null;
    continue;
  }
  results[pass.mode] = result.hls;
  stageLatencies.push(...result.stageLatencies);
  console.log(`${pass.mode}: ${JSON.stringify(results[pass.mode])}`);
}

const measured = [results.classic, results.ll].filter(Boolean);
const section = {
  description: `block clock (48-bit ms + CRC-16 in 16 × 9 cells) painted every 10 ms into a 640x360 canvas published on stage (VP8); read back from every presented frame (requestVideoFrameCallback) by the host page (WebRTC) and by a viewer page playing the HLS with the SDK's HlsPlayer (${SEGMENT_SECONDS} s segments, the viewer app's settings); latency = wall clock at presentation − painted time; ${SECONDS} s per pass after ${WARM_UP_MS / 1000} s of warm-up; stall ratio = time waiting or without a frame for > 250 ms ÷ time watched (the worse pass); go live → the viewer's first frame (LL pass if measured)`,
  machine,
  seconds: SECONDS,
  segmentSeconds: SEGMENT_SECONDS,
  classic: results.classic,
  ll: results.ll,
  stallRatio: measured.length ? Math.max(...measured.map((r) => r.stallRatio)) : null,
  stage: summary(stageLatencies),
  goLiveToFirstFrameMs: (results.ll ?? results.classic)?.goLiveToFirstFrameMs ?? null,
  errors,
  goals:
    'LL p50 ≤ 2000 ms and p95 ≤ 2500 ms; classic ≤ 6000 ms; stalls < 1 %; go live → first frame ≤ 2500 ms',
};
saveSection('glassToGlass', section);
console.log(glassTable(section));
process.exit(0);

function summary(latencies) {
  return latencies.length
    ? { frames: latencies.length, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95) }
    : null;
}

/** One broadcast: the HLS figures of the pass and the stage's. */
async function run({ mode, player }) {
  const ingest = await startIngest({ STAGECAST_SEGMENT_SECONDS: String(SEGMENT_SECONDS) });
  const transcoder = startTranscoder(ingest.dataDir);
  const browser = await launch();
  let failed = true;
  try {
    const { id } = await ingest.api('POST', '/api/rooms', { name: `glass ${mode}` });
    const token = async (role, name) =>
      (await ingest.api('POST', `/api/rooms/${id}/tokens`, { role, name })).token;
    const source = await sdkPage(browser, ingest.url);
    await publishClock(source, ingest.url, await token('cohost', 'Clock'));

    const host = await sdkPage(browser, ingest.url);
    await host.evaluate(
      async ({ url, token }) => {
        window.room = await window.Stagecast.connect({ url, token });
        const stage = new window.Stagecast.Stage(window.room);
        const track = await new Promise((resolve) => {
          stage.on('trackAdded', (t) => t.kind === 'video' && resolve(t.track));
          void stage.start();
        });
        const video = document.createElement('video');
        video.muted = true;
        video.srcObject = new MediaStream([track]);
        document.body.append(video);
        window.watcher = new window.BlockClock.ClockWatcher(video);
        await video.play();
      },
      { url: ingest.url, token: await token('host', 'Host') },
    );

    const viewer = await sdkPage(browser, ingest.url);
    await viewer.evaluate(
      async ({ url, token, player }) => {
        const room = await window.Stagecast.connect({ url, token });
        const video = document.createElement('video');
        video.muted = true;
        document.body.append(video);
        window.player = new window.Stagecast.HlsPlayer(video, player);
        window.watcher = new window.BlockClock.ClockWatcher(video, { locate: true });
        const start = (live) => {
          if (live.state !== 'live' || window.hlsUrl) return;
          window.hlsUrl = new URL(live.hlsUrl, url).href;
          window.player.load(window.hlsUrl);
        };
        room.on('liveState', start);
        start(room.live);
      },
      { url: ingest.url, token: await token('viewer', 'Watcher'), player },
    );

    await waitInPage(host, () => window.watcher.firstClockAt, 30_000);
    const startedAt = Date.now();
    await host.evaluate(() => window.room.request('broadcast:start', {}));
    // Generous: a loaded machine's compositor can take long to show the first picture.
    const firstFrameAt = await waitInPage(viewer, () => window.watcher.firstFrameAt, 120_000);
    const firstClockAt = await waitInPage(viewer, () => window.watcher.firstClockAt, 90_000).catch(
      async (error) => {
        // What the viewer shows instead, to look at.
        const path = join(ingest.dataDir, 'viewer-without-clock.png');
        await viewer.screenshot({ path });
        throw new Error(`${error.message} (the viewer's page: ${path})`);
      },
    );
    if (mode === 'll' && !(await hasParts(await viewer.evaluate(() => window.hlsUrl)))) {
      throw new Error('the stream offers no parts (EXT-X-PART-INF): LL-HLS is not on');
    }
    await sleep(WARM_UP_MS);
    for (const page of [host, viewer]) await page.evaluate(() => window.watcher.measure());
    await sleep(SECONDS * 1000);
    const [stage, hls] = await Promise.all(
      [host, viewer].map((page) => page.evaluate(() => window.watcher.report())),
    );
    failed = false;
    return {
      stageLatencies: stage.latenciesMs,
      hls: {
        ...summary(hls.latenciesMs),
        unreadableFrames: hls.unreadable,
        stallRatio: Number((hls.stalledMs / hls.watchedMs).toFixed(4)),
        stalledMs: hls.stalledMs,
        waitingEvents: hls.waitingEvents,
        watchedMs: hls.watchedMs,
        goLiveToFirstFrameMs: firstFrameAt - startedAt,
        goLiveToFirstClockMs: firstClockAt - startedAt,
      },
    };
  } finally {
    await browser.close();
    await transcoder.stop();
    await ingest.stop();
    // Kept when the pass failed: its playlists, logs and the viewer's screenshot tell why.
    if (failed || process.env.KEEP_BENCH_DATA) console.log(`kept ${ingest.dataDir}`);
    else rmSync(ingest.dataDir, { recursive: true, force: true });
  }
}

/** Whether the first media playlist of a master playlist announces parts (LL-HLS). */
async function hasParts(masterUrl) {
  const master = await fetch(masterUrl).then((r) => r.text());
  const variant = master.split('\n').find((l) => l && !l.startsWith('#'));
  const media = await fetch(new URL(variant.trim(), masterUrl)).then((r) => r.text());
  return media.includes('#EXT-X-PART-INF');
}
