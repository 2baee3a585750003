// Cost of the live playlist writer per 0.5 s part with a long (DVR) window: what the writer
// does on every part (append it, close a segment every fourth part, render the media playlist
// of each rendition, persist the state) with the playlists and state written to a temporary
// folder. Prints CPU milliseconds per part for each window size. Pure functions of
// transcoder/dist (needs `npm run build`); no FFmpeg.
// BENCH_DVR_WINDOWS (segments, default 10,900), BENCH_DVR_PARTS (default 1000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineNote } from './lib.mjs';

// BENCH_DVR_DIST: another build of the transcoder (e.g. a checkout before a change) to compare.
const dist = process.env.BENCH_DVR_DIST
  ? pathToFileURL(`${process.env.BENCH_DVR_DIST}/`).href
  : new URL('../transcoder/dist/', import.meta.url).href;
const { appendPart, closeSegment, initialState, renderMediaPlaylist } = await import(
  `${dist}hls/playlist.js`
);
const { saveState } = await import(`${dist}hls/stateFiles.js`);
const { writeAtomic } = await import(`${dist}core/fsUtil.js`);
const OLD_STATE = !(await import(`${dist}hls/stateFiles.js`)).WINDOW_FILE;

const WINDOWS = (process.env.BENCH_DVR_WINDOWS ?? '10,900').split(',').map(Number);
const PARTS = Number(process.env.BENCH_DVR_PARTS ?? 1000);
const RENDITIONS = ['720p', '480p', '360p'];

async function run(window) {
  const dir = mkdtempSync(join(tmpdir(), 'dvr-bench-'));
  let state = initialState('room', 'b1', 2, 0.5);
  const part = (key) => ({
    durations: Object.fromEntries(RENDITIONS.map((r) => [r, 0.5])),
    independent: Object.fromEntries(RENDITIONS.map((r) => [r, key])),
  });
  const step = async (i, timed) => {
    const key = i % 4 === 0;
    const t0 = process.cpuUsage();
    let closed = null;
    if (key && state.open) {
      closed = closeSegment(state, window, false);
      if (closed) state = closed.state;
    }
    state = appendPart(state, part(key), { session: 's', map: 'init.mp4', programDateTime: i * 500 }).state;
    // A build from before the window had its own file takes a boolean: the recording changed.
    await saveState(dir, state, OLD_STATE ? false : { recording: false, window: closed !== null });
    for (const r of RENDITIONS) await writeAtomic(join(dir, `${r}.m3u8`), renderMediaPlaylist(state, r));
    const used = process.cpuUsage(t0);
    return timed ? (used.user + used.system) / 1000 : 0;
  };
  // Fill the window first (untimed), then time PARTS parts at full window.
  let i = 0;
  for (; i < window * 4 + 4; i++) await step(i, false);
  let ms = 0;
  for (let n = 0; n < PARTS; n++, i++) ms += await step(i, true);
  const bytes = renderMediaPlaylist(state, RENDITIONS[0]).length;
  rmSync(dir, { recursive: true, force: true });
  return { window, msPerPart: ms / PARTS, playlistBytes: bytes, listed: state.live.length };
}

console.log(machineNote());
for (const w of WINDOWS) {
  const r = await run(w);
  // Two parts a second: the share of one core is msPerPart × 2 / 1000.
  console.log(
    `window ${r.window} segments (${r.listed} listed): ${r.msPerPart.toFixed(3)} ms CPU per part, ` +
      `${((r.msPerPart * 2) / 10).toFixed(2)}% of a core, playlist ${(r.playlistBytes / 1024).toFixed(1)} KiB`,
  );
}
