// Cost of the live playlist writer per 0.5 s part with a long (DVR) window: what the writer
// does on every part (append it, close a segment every fourth part, render the media playlist
// of each rendition, persist the state) with the playlists and state written to a temporary
// folder. Prints CPU milliseconds per part for each window size. Pure functions of
// transcoder/dist (needs `npm run build`); no FFmpeg.
// BENCH_DVR_WINDOWS (segments, default 10,900,3600), BENCH_DVR_PARTS (default 2000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendPart,
  closeSegment,
  initialState,
  renderMediaPlaylist,
} from '../transcoder/dist/hls/playlist.js';
import { saveState } from '../transcoder/dist/hls/stateFiles.js';
import { writeAtomic } from '../transcoder/dist/core/fsUtil.js';
import { machineNote } from './lib.mjs';

const WINDOWS = (process.env.BENCH_DVR_WINDOWS ?? '10,900,3600').split(',').map(Number);
const PARTS = Number(process.env.BENCH_DVR_PARTS ?? 2000);
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
    await saveState(dir, state, { recording: false, window: closed !== null });
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
