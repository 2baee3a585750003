import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaylistWriter } from './PlaylistWriter.js';
import { STATE_FILE, WINDOW_FILE } from './stateFiles.js';
import { fakeSession, writerJob } from './testFixtures.js';

const logger = pino({ level: 'silent' });
const renditions = ['hi', 'lo'];
// A DVR window of 80 s: 40 segments of 2 s, each of four 0.5 s parts.
const job = writerJob({ roomId: 'dvr-room', record: false, liveWindow: 40, slots: { video: 1, audio: 1 } });

let dataDir = '';
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagecast-dvr-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const hlsDir = () => join(dataDir, 'hls', job.roomId);
const open = () =>
  PlaylistWriter.open({ job, hlsDir: hlsDir(), vodDir: join(dataDir, 'vod', job.broadcastId), logger });
const listed = async (rendition: string) => {
  const text = await readFile(join(hlsDir(), rendition, 'index.m3u8'), 'utf8');
  const lines = text.split('\n');
  return {
    sequence: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]),
    uris: lines.filter((l) => l !== '' && !l.startsWith('#')),
    parts: lines.flatMap((l) => /^#EXT-X-PART:.*URI="([^"]+)"/.exec(l)?.[1] ?? []),
    dates: lines.filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')),
  };
};
const numbers = (files: string[], pattern: RegExp) =>
  files.flatMap((f) => pattern.exec(f)?.[1] ?? []).map(Number);

describe('PlaylistWriter with a DVR window', { timeout: 60_000 }, () => {
  it('DVR: keeps the whole window listed and on disk, parts only near the live edge, and sweeps only older files', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    const t0 = Date.UTC(2030, 0, 1);
    // 60 segments closed and two parts of the 61st: 20 segments have left the window.
    await fakeSession(s1, renditions, 242, { startMs: t0 });
    w.addSession('s1', s1);
    await w.poll();

    for (const r of renditions) {
      const now = await listed(r);
      expect(now.sequence).toBe(20);
      expect(now.uris).toEqual(Array.from({ length: 40 }, (_, i) => `b1-${20 + i}.m4s`));
      // Every segment of the window keeps its wall-clock time: the seek bar maps onto it.
      expect(now.dates[0]).toBe(`#EXT-X-PROGRAM-DATE-TIME:${new Date(t0 + 40_000).toISOString()}`);
      // Parts are listed for the last three target durations only (segments 57-59 and the open one).
      expect(now.parts).toEqual(Array.from({ length: 14 }, (_, i) => `b1-p${228 + i}.m4s`));

      const files = await readdir(join(hlsDir(), r));
      // Segments: the window (20-59) plus the ten that left it last, for players holding the
      // previous playlist; older ones are gone.
      expect(numbers(files, /^b1-(\d+)\.m4s$/).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => 10 + i),
      );
      // Parts: those of the segments within six target durations (54-59) and the open ones.
      expect(numbers(files, /^b1-p(\d+)\.m4s$/).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 26 }, (_, i) => 216 + i),
      );
    }

    // The state rewritten for every part stays small; the window has its own file.
    const state = JSON.parse(await readFile(join(hlsDir(), STATE_FILE), 'utf8')) as { live: unknown[] };
    expect(state.live).toEqual([]);
    const saved = JSON.parse(await readFile(join(hlsDir(), WINDOW_FILE), 'utf8')) as {
      live: { seq: number; parts: unknown[] }[];
    };
    expect(saved.live.map((s) => s.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 20 + i));
    expect(saved.live.filter((s) => s.parts.length > 0).map((s) => s.seq)).toEqual([54, 55, 56, 57, 58, 59]);

    // A successor continues the same window from the files: the open parts become segment 60.
    await open();
    const after = await listed('hi');
    expect(after.sequence).toBe(21);
    expect(after.uris).toEqual(Array.from({ length: 40 }, (_, i) => `b1-${21 + i}.m4s`));
    expect(after.parts.at(-1)).toBe('b1-p241.m4s');
  });
});
