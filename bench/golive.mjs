// Going live: time from "start" to the first playable segment, and the compositor's CPU
// (core-seconds per second of FFmpeg) for 1, 2, 4 and 9 tiles with the 3-rung ladder.
// Bots publishing on the same machine cost CPU too: their share is reported separately.
import { Bot } from '../tests/dist/bot/Bot.js';
import { botClip } from '../tests/dist/helpers/botClip.js';
import { startIngest } from './ingestProcess.mjs';
import { startTranscoder } from './transcoderProcess.mjs';
import { cpuSecondsOf, markdownTable, saveSection } from './lib.mjs';

const TILES = (process.env.BENCH_TILES ?? '1,2,4,9').split(',').map(Number);
// Every bot sends the same pre-encoded WebM without re-encoding it: nine encoding bots would
// take the two cores this bench means to give to the compositor.
const WEBM = await botClip('Bot');
const MEASURE_SECONDS = Number(process.env.BENCH_CPU_SECONDS ?? 15);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function firstPlayableSegment(url, startedAt) {
  for (;;) {
    const master = await fetch(`${url}/master.m3u8`).then(
      (r) => (r.ok ? r.text() : null),
      () => null,
    );
    const variant = master?.split('\n').find((l) => l && !l.startsWith('#'));
    if (variant) {
      const media = await fetch(`${url}/${variant}`).then(
        (r) => (r.ok ? r.text() : null),
        () => null,
      );
      const segment = media?.split('\n').find((l) => l && !l.startsWith('#'));
      if (segment) {
        const base = `${url}/${variant.split('/').slice(0, -1).join('/')}`;
        const res = await fetch(`${base}/${segment}`);
        if (res.ok && (await res.arrayBuffer()).byteLength > 0) return Date.now() - startedAt;
      }
    }
    if (Date.now() - startedAt > 60_000) return null;
    await sleep(100);
  }
}

async function run(tiles) {
  const ingest = await startIngest();
  const transcoder = startTranscoder(ingest.dataDir);
  const bots = [];
  try {
    const { id } = await ingest.api('POST', '/api/rooms', { name: `bench ${tiles}` });
    for (let i = 0; i < tiles; i++) {
      const { token } = await ingest.api('POST', `/api/rooms/${id}/tokens`, {
        role: 'cohost',
        name: `Bot ${i + 1}`,
      });
      bots.push(await Bot.start({ url: ingest.url, token, name: `Bot ${i + 1}`, webm: WEBM }));
    }
    await sleep(2000);
    const startedAt = Date.now();
    await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'start' });
    const firstSegmentMs = await firstPlayableSegment(`${ingest.url}/hls/${id}`, startedAt);
    // Let the layout settle (every tile decoded) before measuring.
    await sleep(5000);
    const pids = transcoder.ffmpegPids();
    const botPids = bots.map((b) => b.ffmpegPid);
    const sum = (list) => list.reduce((s, pid) => s + (cpuSecondsOf(pid) ?? 0), 0);
    const before = { ffmpeg: sum(pids), bots: sum(botPids), ingest: cpuSecondsOf(ingest.pid) };
    await sleep(MEASURE_SECONDS * 1000);
    const after = { ffmpeg: sum(pids), bots: sum(botPids), ingest: cpuSecondsOf(ingest.pid) };
    await ingest.api('POST', `/api/rooms/${id}/broadcast`, { action: 'stop' });
    await sleep(3000);
    return {
      tiles,
      firstSegmentMs,
      ffmpegCores: Number(((after.ffmpeg - before.ffmpeg) / MEASURE_SECONDS).toFixed(2)),
      ingestCores: Number(((after.ingest - before.ingest) / MEASURE_SECONDS).toFixed(2)),
      botCores: Number(((after.bots - before.bots) / MEASURE_SECONDS).toFixed(2)),
    };
  } finally {
    for (const bot of bots) await bot.stop();
    await transcoder.stop();
    await ingest.stop();
  }
}

const rows = [];
for (const tiles of TILES) {
  const row = await run(tiles);
  rows.push(row);
  console.log(JSON.stringify(row));
}
saveSection('goLive', {
  description:
    'bots sending a pre-encoded VP8 640x360 + Opus WebM (no encoding) on stage → start → 720p/480p/360p ladder, 2 s segments; CPU in cores (core-seconds per second)',
  rows,
});
console.log(
  markdownTable(rows, [
    { key: 'tiles', label: 'tiles' },
    { key: 'firstSegmentMs', label: 'start → first segment (ms)' },
    { key: 'ffmpegCores', label: 'FFmpeg CPU (cores)' },
    { key: 'ingestCores', label: 'ingest CPU (cores)' },
    { key: 'botCores', label: 'bots CPU (cores)' },
  ]),
);
process.exit(0);
