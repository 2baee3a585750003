// Where LL-HLS glass-to-glass time goes. The block clock is published on stage (as in
// glass-to-glass); this follows the top rung's playlist with blocking reloads and, for every new
// part, notes when the origin listed it and decodes the painted time of its first and last
// frames: capture → part listed (the compositor, its encoder and the writer) is then known apart
// from what the player adds (its hold-back, buffering, decoding). A viewer page playing in LL
// mode reports hls.js' own latency estimate and target beside the true figure.
//   BENCH_PIPELINE_SECONDS    seconds measured (default 60)
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { launch, publishClock, sdkPage, waitInPage } from './browser.mjs';
import { startIngest } from './ingestProcess.mjs';
import { startTranscoder } from './transcoderProcess.mjs';
import { exitOnSignals, percentile, saveSection, sleep, waitForQuiet } from './lib.mjs';
import { decodeClock, locateClock } from '../tests/dist/helpers/blockClock.js';

const SECONDS = Number(process.env.BENCH_PIPELINE_SECONDS ?? 60);
/** The rung's picture size and where the clock is in it: found once. */
let size;
let region;
/** The top rung's init segment: every decode starts with it. */
let initSegment;
/** Where the top rung's parts are on disk. */
let partDir;
exitOnSignals();
const machine = await waitForQuiet();

const ingest = await startIngest();
const transcoder = startTranscoder(ingest.dataDir);
const browser = await launch();
try {
  const { id } = await ingest.api('POST', '/api/rooms', { name: 'pipeline' });
  const token = async (role, name) =>
    (await ingest.api('POST', `/api/rooms/${id}/tokens`, { role, name })).token;
  const source = await sdkPage(browser, ingest.url);
  await publishClock(source, ingest.url, await token('host', 'Clock'));
  await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'start' });
  let live;
  for (;;) {
    live = (await ingest.api('GET', `/api/rooms/${id}`)).live;
    if (live?.state === 'live' && live.hlsUrl) break;
    await sleep(200);
  }
  const masterUrl = new URL(live.hlsUrl, ingest.url).href;
  const viewer = await sdkPage(browser, ingest.url);
  await viewer.evaluate(
    ({ url }) => {
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      window.player = new window.Stagecast.HlsPlayer(video, { lowLatency: true });
      window.watcher = new window.BlockClock.ClockWatcher(video, { locate: true });
      window.player.load(url);
      window.hlsStats = [];
      setInterval(() => {
        const hls = window.player.hls;
        if (!hls || video.paused) return;
        window.hlsStats.push({
          latency: hls.latency,
          target: hls.targetLatency,
          rate: video.playbackRate,
          buffer:
            (video.buffered.length ? video.buffered.end(video.buffered.length - 1) : 0) - video.currentTime,
        });
      }, 500);
    },
    { url: masterUrl },
  );
  await waitInPage(viewer, () => window.watcher.firstClockAt, 90_000);
  await sleep(5000);
  await viewer.evaluate(() => {
    window.watcher.measure();
    window.hlsStats = [];
    window.stalls = [];
    window.player.hls.on('hlsError', (_e, data) =>
      window.stalls.push({ at: Date.now(), details: data.details }),
    );
  });

  const master = await fetch(masterUrl).then((r) => r.text());
  const variant = master
    .split('\n')
    .find((l) => l && !l.startsWith('#'))
    .trim();
  const mediaUrl = new URL(variant, masterUrl);
  // The origin serves the data directory's layout: the playlist's folder holds the rung's parts.
  partDir = join(ingest.dataDir, dirname(mediaUrl.pathname));
  let text = await fetch(mediaUrl).then((r) => r.text());
  const init = text.match(/#EXT-X-MAP:URI="([^"]+)"/)[1];
  initSegment = Buffer.from(await fetch(new URL(init, mediaUrl)).then((r) => r.arrayBuffer()));
  const rows = [];
  const end = Date.now() + SECONDS * 1000;
  let next = nextPart(text);
  let segmentParts = null;
  while (Date.now() < end) {
    const url = new URL(mediaUrl);
    url.searchParams.set('_HLS_msn', String(next.msn));
    url.searchParams.set('_HLS_part', String(next.part));
    // A kept-alive connection the origin closed meanwhile: ask again.
    const answer = await fetch(url).catch(() => fetch(url));
    // 503: the part did not come within three target durations (a busy machine); ask again.
    if (!answer.ok) continue;
    text = await answer.text();
    const listedAt = Date.now();
    const playlistWrittenAt = fileTime(join(partDir, basename(mediaUrl.pathname)));
    // A request past a segment's last part is answered when the next segment's first part is listed.
    const part = partUri(text, next) ?? partUri(text, { msn: next.msn + 1, part: 0 });
    if (!part) {
      console.log(`part ${next.msn}.${next.part} not listed`);
      next = nextPart(text);
      continue;
    }
    const bytes = Buffer.from(await fetch(new URL(part.uri, mediaUrl)).then((r) => r.arrayBuffer()));
    // Only a segment's first part begins with a key frame: decode the segment so far.
    if (part.independent || !segmentParts) segmentParts = { msn: part.msn, parts: [], frames: 0 };
    if (part.msn !== segmentParts.msn) {
      segmentParts = null;
      next = nextPart(text);
      continue;
    }
    segmentParts.parts.push(bytes);
    const times = paintedTimes(Buffer.concat(segmentParts.parts), segmentParts.frames);
    if (times) {
      segmentParts.frames = times.frames;
      const writtenAt = partWrittenAt(part.uri);
      rows.push({
        listedAt,
        writtenAt,
        playlistWrittenAt,
        first: times.first,
        last: times.last,
        duration: part.duration,
      });
    }
    next = nextPart(text);
  }
  const hls = await viewer.evaluate(() => ({
    report: window.watcher.report(),
    stats: window.hlsStats,
    stalls: window.stalls,
  }));
  const p = (values) => ({ p50: percentile(values, 50), p95: percentile(values, 95) });
  const result = {
    description:
      'block clock published on stage (as glass-to-glass); the top rung followed with blocking reloads: for each part, capture of its first/last frame → FFmpeg wrote it (file time) → the origin listed it; a viewer in LL mode beside it (true latency, hls.js latency estimate and target, forward buffer, playback rate)',
    machine,
    seconds: SECONDS,
    parts: rows.length,
    firstFrameToListedMs: p(rows.map((r) => r.listedAt - r.first)),
    lastFrameToListedMs: p(rows.map((r) => r.listedAt - r.last)),
    lastFrameToWrittenMs: p(rows.filter((r) => r.writtenAt).map((r) => r.writtenAt - r.last)),
    writtenToListedMs: p(rows.filter((r) => r.writtenAt).map((r) => r.listedAt - r.writtenAt)),
    // The writer's share (part written → its playlist renamed into place) and the origin's.
    writtenToPlaylistMs: p(rows.filter((r) => r.writtenAt).map((r) => r.playlistWrittenAt - r.writtenAt)),
    playlistToAnsweredMs: p(rows.map((r) => r.listedAt - r.playlistWrittenAt)),
    playerGlassMs: p(hls.report.latenciesMs),
    hlsLatencyS: p(hls.stats.map((s) => s.latency)),
    hlsTargetS: p(hls.stats.map((s) => s.target)),
    bufferS: p(hls.stats.map((s) => s.buffer)),
    rate: p(hls.stats.map((s) => s.rate)),
    stalls: hls.stalls.filter((e) => e.details === 'bufferStalledError').length,
  };
  saveSection('llhlsPipeline', result);
  console.log(JSON.stringify(result, null, 1));
} finally {
  await browser.close();
  await transcoder.stop();
  await ingest.stop();
  if (!process.env.KEEP_BENCH_DATA) rmSync(ingest.dataDir, { recursive: true, force: true });
}
process.exit(0);

/** The part after the playlist's last one. */
function nextPart(playlist) {
  const msn = Number(playlist.match(/#EXT-X-MEDIA-SEQUENCE:(\d+)/)[1]);
  const lines = playlist.split('\n');
  let segments = 0;
  let parts = 0;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-PART:')) parts++;
    else if (line && !line.startsWith('#')) {
      segments++;
      parts = 0;
    }
  }
  return { msn: msn + segments, part: parts };
}

/** The URI and duration of part `part` of segment `msn` in the playlist, if listed. */
function partUri(playlist, { msn, part }) {
  const first = Number(playlist.match(/#EXT-X-MEDIA-SEQUENCE:(\d+)/)[1]);
  let current = first;
  let index = 0;
  for (const line of playlist.split('\n')) {
    if (line.startsWith('#EXT-X-PART:')) {
      if (current === msn && index === part) {
        return {
          msn,
          uri: line.match(/URI="([^"]+)"/)[1],
          duration: Number(line.match(/DURATION=([\d.]+)/)[1]),
          independent: line.includes('INDEPENDENT=YES'),
        };
      }
      index++;
    } else if (line && !line.startsWith('#')) {
      current++;
      index = 0;
    }
  }
  return null;
}

/** When FFmpeg finished writing a part: the writer moves its file into place, which keeps its mtime. */
function partWrittenAt(uri) {
  return fileTime(join(partDir, uri.split('/').pop()));
}

/** A file's last write (ms), or null when it is gone (swept). */
function fileTime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * The clock painted in the first and last frames of the segment so far (decoded with FFmpeg)
 * after its first `skip` frames: the last part's; and how many frames there are.
 */
function paintedTimes(bytes, skip) {
  const input = Buffer.concat([initSegment, bytes]);
  size ??= JSON.parse(
    execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=width,height',
        '-of',
        'json',
        'pipe:0',
      ],
      { encoding: 'utf8', input },
    ),
  ).streams[0];
  const { width, height } = size;
  let raw;
  try {
    raw = execFileSync(
      'ffmpeg',
      ['-v', 'quiet', '-i', 'pipe:0', '-vf', 'format=rgba', '-f', 'rawvideo', '-'],
      {
        input,
        maxBuffer: 1 << 30,
      },
    );
  } catch {
    return null; // a new FFmpeg run (another init segment) or a part cut short: not measured
  }
  const frameSize = width * height * 4;
  const count = Math.floor(raw.length / frameSize);
  if (count <= skip) return null;
  const frame = (i) => ({
    width,
    height,
    data: new Uint8ClampedArray(raw.buffer, raw.byteOffset + i * frameSize, frameSize),
  });
  region ??= locateClock(frame(0));
  if (!region) return null;
  const first = decodeClock(frame(skip), region);
  const last = decodeClock(frame(count - 1), region);
  return first && last ? { first, last, frames: count } : null;
}
