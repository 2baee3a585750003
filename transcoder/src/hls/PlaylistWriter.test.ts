import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompositeJobData } from '@stagecast/protocol';
import { parseSessionPlaylist } from './playlist.js';
import { PlaylistWriter, STATE_FILE } from './PlaylistWriter.js';

const logger = pino({ level: 'silent' });
const job: CompositeJobData = {
  roomId: 'room1',
  roomName: 'Room',
  broadcastId: 'b1',
  startedAt: new Date(0).toISOString(),
  record: true,
  ladder: [
    { name: 'hi', width: 1280, height: 720, videoKbps: 2500, audioKbps: 128 },
    { name: 'lo', width: 640, height: 360, videoKbps: 700, audioKbps: 64 },
  ],
  segmentSeconds: 2,
  liveWindow: 3,
  burnClock: false,
  frameRate: 30,
  slots: { video: 2, audio: 2 },
};

let dataDir = '';
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagecast-pw-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const hlsDir = () => join(dataDir, 'hls', job.roomId);
const vodDir = (j = job) => join(dataDir, 'vod', j.roomId, j.broadcastId);
const open = (j = job) => PlaylistWriter.open({ job: j, hlsDir: hlsDir(), vodDir: vodDir(j), logger });

/** Plays FFmpeg: `count` segments of 2 s in every rendition of a session directory. */
async function fakeSession(
  dir: string,
  count: number,
  startMs: number,
  ended = false,
  renditions = job.ladder.map((r) => r.name),
): Promise<void> {
  for (const r of renditions) {
    await mkdir(join(dir, r), { recursive: true });
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0'];
    for (let i = 0; i < count; i++) {
      const name = `seg_${String(i).padStart(6, '0')}.ts`;
      await writeFile(join(dir, r, name), `${dir}/${r}/${i}`);
      lines.push(
        '#EXTINF:2.000000,',
        `#EXT-X-PROGRAM-DATE-TIME:${new Date(startMs + i * 2000).toISOString().replace('Z', '+0000')}`,
        name,
      );
    }
    if (ended) lines.push('#EXT-X-ENDLIST');
    await writeFile(join(dir, r, 'index.m3u8'), lines.join('\n') + '\n');
  }
}

interface Parsed {
  sequence: number;
  discontinuitySequence: number;
  uris: string[];
  /** Discontinuity number (timeline) of each listed segment. */
  timelines: number[];
  ended: boolean;
  text: string;
}

async function media(rendition = 'hi', dir = hlsDir()): Promise<Parsed> {
  const text = await readFile(join(dir, rendition, 'index.m3u8'), 'utf8');
  const num = (tag: string) => Number(new RegExp(`#${tag}:(\\d+)`).exec(text)?.[1] ?? 0);
  const parsed: Parsed = {
    sequence: num('EXT-X-MEDIA-SEQUENCE'),
    discontinuitySequence: num('EXT-X-DISCONTINUITY-SEQUENCE'),
    uris: [],
    timelines: [],
    ended: text.includes('#EXT-X-ENDLIST'),
    text,
  };
  let timeline = parsed.discontinuitySequence;
  for (const line of text.split('\n')) {
    if (line === '#EXT-X-DISCONTINUITY') timeline++;
    else if (line && !line.startsWith('#')) {
      parsed.uris.push(line);
      parsed.timelines.push(timeline);
    }
  }
  return parsed;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('PlaylistWriter', () => {
  it('lists segments complete in every rendition, with PROGRAM-DATE-TIME, and writes the master once live', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, 2, Date.UTC(2030, 0, 1));
    await fakeSession(s1, 3, Date.UTC(2030, 0, 1), false, ['hi']); // "lo" lags one segment
    w.addSession('s1', s1);
    await w.poll();
    const hi = await media();
    expect(hi.uris).toEqual(['b1-0.ts', 'b1-1.ts']);
    expect(hi.text).toContain('#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000Z');
    expect(hi.text).toContain('#EXT-X-TARGETDURATION:2');
    expect((await media('lo')).uris).toEqual(['b1-0.ts', 'b1-1.ts']);
    expect(await readFile(join(hlsDir(), 'hi', 'b1-1.ts'), 'utf8')).toBe(`${s1}/hi/1`);
    const master = await readFile(join(hlsDir(), 'master.m3u8'), 'utf8');
    expect(master).toContain(
      'RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000\nhi/index.m3u8',
    );
    expect(master).toContain('CODECS="avc1.4d401e,mp4a.40.2"');
  });

  it("joins sessions with a discontinuity, slides the window, and keeps each segment's timeline", async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    const s2 = join(dataDir, 'work', 's2');
    const t0 = Date.UTC(2030, 0, 1);
    await fakeSession(s1, 2, t0);
    w.addSession('s1', s1);
    await w.poll();
    // s2 already has segments, but waits for s1 to finish.
    await fakeSession(s2, 2, t0 + 4000);
    w.addSession('s2', s2);
    await w.poll();
    expect((await media()).uris).toEqual(['b1-0.ts', 'b1-1.ts']);
    await fakeSession(s1, 3, t0, true);
    w.finishSession('s1');
    await w.poll();
    const p = await media();
    // window 3 of 5 segments: 2,3,4; segment 3 opens session s2.
    expect(p.sequence).toBe(2);
    expect(p.uris).toEqual(['b1-2.ts', 'b1-3.ts', 'b1-4.ts']);
    expect(p.timelines).toEqual([0, 1, 1]);
    expect(p.text.match(/#EXT-X-DISCONTINUITY\n/g)).toHaveLength(1);
    await fakeSession(s2, 4, t0 + 4000);
    await w.poll();
    const q = await media();
    // The discontinuity slid out: DISCONTINUITY-SEQUENCE carries it.
    expect(q.sequence).toBe(4);
    expect(q.discontinuitySequence).toBe(1);
    expect(q.timelines).toEqual([1, 1, 1]);
    expect(await exists(join(dataDir, 'work', 's1'))).toBe(false);
  });

  it("with the session's epoch, PROGRAM-DATE-TIME is the capture clock, not FFmpeg's muxer start", async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    const t0 = Date.UTC(2030, 0, 1);
    // FFmpeg's muxer started 1.5 s after the media began (a busy start).
    await fakeSession(s1, 3, t0 + 1500);
    w.addSession('s1', s1, t0);
    await w.poll();
    const p = await media();
    expect(p.text).toContain('#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000Z');
    expect(p.text).toContain('#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:04.000Z');
    expect(p.text).not.toContain('00:00:01.500Z');
  });

  it('a successor continues from the state file: the sequence never goes back, nothing listed goes missing', async () => {
    const t0 = Date.UTC(2030, 0, 1);
    const first = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, 2, t0);
    first.addSession('s1', s1);
    await first.poll();
    const before = await media();
    // The first process dies (no end, no finish). A new one opens the same broadcast.
    const second = await open();
    expect(second.segments).toBe(2);
    expect(await media()).toEqual(before);
    const s9 = join(dataDir, 'work', 's9');
    await fakeSession(s9, 2, t0 + 10_000);
    second.addSession('s9', s9);
    await second.poll();
    const after = await media();
    expect(after.uris).toEqual(['b1-1.ts', 'b1-2.ts', 'b1-3.ts']);
    expect(after.sequence).toBe(1);
    expect(after.timelines).toEqual([0, 1, 1]);
    for (const uri of after.uris) expect(await exists(join(hlsDir(), 'hi', uri))).toBe(true);
    const state = JSON.parse(await readFile(join(hlsDir(), STATE_FILE), 'utf8')) as { nextSequence: number };
    expect(state.nextSequence).toBe(4);
  });

  it('end: ENDLIST live, and a VOD recording of every segment', async () => {
    const w = await open();
    const t0 = Date.UTC(2030, 0, 1);
    const s1 = join(dataDir, 'work', 's1');
    const s2 = join(dataDir, 'work', 's2');
    await fakeSession(s1, 3, t0, true);
    await fakeSession(s2, 3, t0 + 6000, true);
    w.addSession('s1', s1);
    w.addSession('s2', s2);
    w.finishSession('s1');
    w.finishSession('s2');
    const end = await w.end();
    expect(end).toEqual({ segments: 6, recordingUrl: '/vod/room1/b1/master.m3u8' });
    expect((await media()).ended).toBe(true);
    const vod = await media('lo', vodDir());
    expect(vod.text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(vod.ended).toBe(true);
    expect(vod.uris).toHaveLength(6);
    expect(vod.timelines).toEqual([0, 0, 0, 1, 1, 1]);
    // Segments that left the live window are gone from /hls but kept for the recording.
    for (const uri of vod.uris) expect(await exists(join(vodDir(), 'lo', uri))).toBe(true);
    expect(await exists(join(vodDir(), 'master.m3u8'))).toBe(true);
  });

  it('a new broadcast in the same room starts afresh', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, 2, Date.UTC(2030, 0, 1));
    w.addSession('s1', s1);
    await w.poll();
    const next = await open({ ...job, broadcastId: 'b2' });
    expect(next.segments).toBe(0);
    expect(await exists(join(hlsDir(), 'hi', 'b1-0.ts'))).toBe(false);
    expect(await exists(join(hlsDir(), 'master.m3u8'))).toBe(false);
  });
});

describe('parseSessionPlaylist', () => {
  it("reads durations, FFmpeg's +0000 dates and ENDLIST", () => {
    const parsed = parseSessionPlaylist(
      '#EXTM3U\n#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-23T02:27:55.500+0000\nseg_000000.ts\n#EXTINF:0.833333,\nseg_000001.ts\n#EXT-X-ENDLIST\n',
    );
    expect(parsed).toEqual({
      ended: true,
      segments: [
        { uri: 'seg_000000.ts', duration: 2, programDateTime: Date.UTC(2026, 10, 23, 2, 27, 55, 500) },
        { uri: 'seg_000001.ts', duration: 0.833333, programDateTime: null },
      ],
    });
  });
});
