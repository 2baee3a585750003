import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { joinFragments } from './fmp4.js';
import { parseSessionPlaylist } from './playlist.js';
import { PlaylistWriter } from './PlaylistWriter.js';
import { STATE_FILE } from './stateFiles.js';
import { fakeSession as fakeSessionIn, writerJob } from './testFixtures.js';

const logger = pino({ level: 'silent' });
const job = writerJob();

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

const names = job.ladder.map((r) => r.name);
/** Plays FFmpeg: `count` parts of 0.5 s, a key frame every 4 (2 s segments). */
const fakeSession = (dir: string, count: number, startMs: number, ended = false, renditions = names) =>
  fakeSessionIn(dir, renditions, count, { startMs, ended });

interface Parsed {
  sequence: number;
  discontinuitySequence: number;
  /** Segment URIs. */
  uris: string[];
  /** Discontinuity number (timeline) of each listed segment. */
  timelines: number[];
  /** Part URIs, in order; `parents[i]` is the sequence number of part i's segment. */
  parts: string[];
  parents: number[];
  hint: string | undefined;
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
    parts: [],
    parents: [],
    hint: /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"\n$/.exec(text)?.[1],
    ended: text.includes('#EXT-X-ENDLIST'),
    text,
  };
  let timeline = parsed.discontinuitySequence;
  for (const line of text.split('\n')) {
    const part = /^#EXT-X-PART:.*URI="([^"]+)"/.exec(line)?.[1];
    if (part) {
      parsed.parts.push(part);
      parsed.parents.push(parsed.sequence + parsed.uris.length);
    } else if (line === '#EXT-X-DISCONTINUITY') timeline++;
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

// Many small file writes each: generous on a loaded machine.
describe('PlaylistWriter', { timeout: 30_000 }, () => {
  it('lists parts complete in every rendition, before their segment, and the next part as the hint', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    const t0 = Date.UTC(2030, 0, 1);
    await fakeSession(s1, 6, t0);
    await fakeSession(s1, 7, t0, false, ['hi']); // "lo" lags one part
    w.addSession('s1', s1);
    await w.poll();
    const hi = await media();
    // Parts 0-3 are segment 0 (part 4 begins with the next key frame); 4 and 5 are the open segment.
    expect(hi.uris).toEqual(['b1-0.m4s']);
    expect(hi.parts).toEqual(['b1-p0.m4s', 'b1-p1.m4s', 'b1-p2.m4s', 'b1-p3.m4s', 'b1-p4.m4s', 'b1-p5.m4s']);
    expect(hi.parents).toEqual([0, 0, 0, 0, 1, 1]);
    expect(hi.hint).toBe('b1-p6.m4s');
    expect(hi.text).toContain(
      [
        '#EXT-X-MAP:URI="b1-init0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000Z',
        '#EXT-X-PART:DURATION=0.500,URI="b1-p0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.500,URI="b1-p1.m4s"',
      ].join('\n'),
    );
    expect(hi.text).toContain(
      '#EXTINF:2.000,\nb1-0.m4s\n#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:02.000Z\n',
    );
    expect(hi.text).toMatch(
      /^#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,CAN-SKIP-UNTIL=12\n#EXT-X-PART-INF:PART-TARGET=0.5\n/,
    );
    expect((await media('lo')).parts).toEqual(hi.parts);
    // The segment is its parts joined; the parts and the init segment are served as written.
    const read = (file: string) => readFile(join(hlsDir(), 'hi', file));
    const parts = await Promise.all(hi.parts.slice(0, 4).map(read));
    expect((await read('b1-0.m4s')).equals(joinFragments(parts))).toBe(true);
    expect((await read('b1-p5.m4s')).toString('latin1')).toContain(`${s1}/hi/5`);
    expect((await read('b1-init0.mp4')).toString('latin1')).toContain(`init ${s1}`);
    const master = await readFile(join(hlsDir(), 'master.m3u8'), 'utf8');
    expect(master).toContain(
      'RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000\nhi/index.m3u8',
    );
    expect(master).toContain('CODECS="avc1.4d401e,mp4a.40.2"');
  });

  it('over time: the hint names the next part listed, part and sequence numbers only grow, old parts drop', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    w.addSession('s1', s1);
    let previous: Parsed | undefined;
    for (let count = 1; count <= 30; count++) {
      await fakeSession(s1, count, Date.UTC(2030, 0, 1));
      await w.poll();
      const now = await media();
      const last = now.parts.at(-1);
      expect(last).toBe(`b1-p${count - 1}.m4s`);
      if (previous) {
        expect(previous.hint).toBe(last);
        expect(now.sequence).toBeGreaterThanOrEqual(previous.sequence);
        // A part keeps its segment for as long as it is listed.
        now.parts.forEach((p, i) => {
          const before = previous?.parts.indexOf(p) ?? -1;
          if (before >= 0) expect(now.parents[i]).toBe(previous?.parents[before]);
        });
      }
      const numbers = now.parts.map((p) => Number(/p(\d+)\./.exec(p)?.[1]));
      expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] ?? 0) + i));
      expect(now.parents).toEqual([...now.parents].sort((a, b) => a - b));
      for (const p of now.parts) expect(await exists(join(hlsDir(), 'hi', p))).toBe(true);
      previous = now;
    }
    // 7 segments of 2 s closed (live window 3), 2 parts open: parts for the last three target
    // durations only (segments 5 and 6, ending within 6 s of the end, and 4).
    expect(previous?.uris).toEqual(['b1-4.m4s', 'b1-5.m4s', 'b1-6.m4s']);
    expect(previous?.parents[0]).toBe(4);
    expect(previous?.parts).toHaveLength(14);
    // Parts of segments that left the window are gone; their segments stay one more window.
    expect(await exists(join(hlsDir(), 'hi', 'b1-p0.m4s'))).toBe(false);
    expect(await exists(join(hlsDir(), 'hi', 'b1-1.m4s'))).toBe(true);
    expect(await exists(join(hlsDir(), 'hi', 'b1-0.m4s'))).toBe(false);
  });

  it("follows FFmpeg's sliding list by part index: every part once, in order, however long the session", async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    w.addSession('s1', s1);
    for (let count = 1; count <= 20; count++) {
      await fakeSessionIn(s1, names, count, { listed: 5 });
      await w.poll();
      const last = (await media()).parts.at(-1) ?? '';
      expect(last).toBe(`b1-p${count - 1}.m4s`);
      // The part FFmpeg wrote as this index, not another one of the list.
      expect((await readFile(join(hlsDir(), 'hi', last))).toString('utf8')).toContain(
        `${s1}/hi/${count - 1}`,
      );
    }
  });

  it("joins sessions with a discontinuity and the new session's init segment, and keeps each segment's timeline", async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    const s2 = join(dataDir, 'work', 's2');
    const t0 = Date.UTC(2030, 0, 1);
    await fakeSession(s1, 8, t0);
    w.addSession('s1', s1);
    await w.poll();
    // s2 already has parts, but waits for s1 to finish.
    await fakeSession(s2, 8, t0 + 10_000);
    w.addSession('s2', s2);
    await w.poll();
    expect((await media()).uris).toEqual(['b1-0.m4s']);
    await fakeSession(s1, 10, t0, true);
    w.finishSession('s1');
    await w.poll();
    const p = await media();
    // s1's last segment ends with its last part (2 parts); s2 brings 1 whole segment and an open one.
    expect(p.uris).toEqual(['b1-1.m4s', 'b1-2.m4s', 'b1-3.m4s']);
    expect(p.sequence).toBe(1);
    expect(p.timelines).toEqual([0, 0, 1]);
    expect(p.text).toContain(
      '#EXTINF:1.000,\nb1-2.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="b1-init3.mp4"\n',
    );
    expect(p.text.match(/#EXT-X-DISCONTINUITY\n/g)).toHaveLength(1);
    expect(p.hint).toBe('b1-p18.m4s');
    await fakeSession(s2, 20, t0 + 10_000);
    await w.poll();
    const q = await media();
    // The discontinuity slid out: DISCONTINUITY-SEQUENCE carries it, and the first MAP is s2's.
    expect(q.sequence).toBe(4);
    expect(q.discontinuitySequence).toBe(1);
    expect(q.timelines).toEqual([1, 1, 1]);
    expect(q.text).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-MAP:URI="b1-init3.mp4"\n');
    expect(await exists(join(dataDir, 'work', 's1'))).toBe(false);
  });

  it("with the session's epoch, PROGRAM-DATE-TIME is the capture clock, not FFmpeg's muxer start", async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    const t0 = Date.UTC(2030, 0, 1);
    // FFmpeg's muxer started 1.5 s after the media began (a busy start).
    await fakeSession(s1, 12, t0 + 1500);
    w.addSession('s1', s1, t0);
    await w.poll();
    const p = await media();
    expect(p.text).toContain('#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000Z');
    expect(p.text).toContain('#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:04.000Z');
    expect(p.text).not.toContain('00:00:01.500Z');
  });

  it('a successor continues from the state file: it ends the open segment, numbers never go back', async () => {
    const t0 = Date.UTC(2030, 0, 1);
    const first = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, 6, t0);
    first.addSession('s1', s1);
    await first.poll();
    const before = await media();
    expect(before.uris).toEqual(['b1-0.m4s']);
    // The first process dies (no end, no finish). A new one opens the same broadcast: the
    // parts the old one listed become a segment.
    const second = await open();
    expect(second.segments).toBe(2);
    const reopened = await media();
    expect(reopened.uris).toEqual(['b1-0.m4s', 'b1-1.m4s']);
    expect(reopened.parts).toEqual(before.parts);
    expect(reopened.hint).toBe(before.hint);
    const s9 = join(dataDir, 'work', 's9');
    await fakeSession(s9, 5, t0 + 10_000);
    second.addSession('s9', s9);
    await second.poll();
    const after = await media();
    expect(after.uris).toEqual(['b1-0.m4s', 'b1-1.m4s', 'b1-2.m4s']);
    expect(after.timelines).toEqual([0, 0, 1]);
    expect(after.parts.at(-1)).toBe('b1-p10.m4s');
    for (const uri of [...after.uris, ...after.parts])
      expect(await exists(join(hlsDir(), 'hi', uri))).toBe(true);
    const state = JSON.parse(await readFile(join(hlsDir(), STATE_FILE), 'utf8')) as {
      nextSequence: number;
      recorded: unknown[];
    };
    expect(state.nextSequence).toBe(3);
    // The state rewritten on every part does not carry the recording, which grows all along.
    expect(state.recorded).toEqual([]);
    second.finishSession('s9');
    await second.end();
    // The recording has the segments of both processes, s9's last one closed at its end.
    expect((await media('hi', vodDir())).uris).toEqual(['b1-0.m4s', 'b1-1.m4s', 'b1-2.m4s', 'b1-3.m4s']);
  });

  it('end: ENDLIST live without a hint, and a VOD recording of every segment with its init segments', async () => {
    const w = await open();
    const t0 = Date.UTC(2030, 0, 1);
    const s1 = join(dataDir, 'work', 's1');
    const s2 = join(dataDir, 'work', 's2');
    await fakeSession(s1, 12, t0, true);
    await fakeSession(s2, 10, t0 + 6000, true);
    w.addSession('s1', s1);
    w.addSession('s2', s2);
    w.finishSession('s1');
    w.finishSession('s2');
    const end = await w.end();
    expect(end).toEqual({ segments: 6, recordingUrl: '/vod/room1/b1/master.m3u8' });
    const live = await media();
    expect(live.ended).toBe(true);
    expect(live.hint).toBeUndefined();
    expect(live.text).not.toContain('PRELOAD-HINT');
    const vod = await media('lo', vodDir());
    expect(vod.text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(vod.text).not.toContain('#EXT-X-PART');
    expect(vod.ended).toBe(true);
    expect(vod.uris).toHaveLength(6);
    expect(vod.timelines).toEqual([0, 0, 0, 1, 1, 1]);
    expect(vod.text.match(/#EXT-X-MAP:URI="[^"]+"/g)).toEqual([
      '#EXT-X-MAP:URI="b1-init0.mp4"',
      '#EXT-X-MAP:URI="b1-init3.mp4"',
    ]);
    // Segments that left the live window are gone from /hls but kept for the recording.
    for (const uri of [...vod.uris, 'b1-init0.mp4', 'b1-init3.mp4'])
      expect(await exists(join(vodDir(), 'lo', uri))).toBe(true);
    expect(await exists(join(vodDir(), 'master.m3u8'))).toBe(true);
  });

  it('a new broadcast in the same room starts afresh', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, 6, Date.UTC(2030, 0, 1));
    w.addSession('s1', s1);
    await w.poll();
    const next = await open({ ...job, broadcastId: 'b2' });
    expect(next.segments).toBe(0);
    expect(await exists(join(hlsDir(), 'hi', 'b1-0.m4s'))).toBe(false);
    expect(await exists(join(hlsDir(), 'master.m3u8'))).toBe(false);
  });
});

describe('parseSessionPlaylist', () => {
  it("reads the first part's index, durations, FFmpeg's +0000 dates and ENDLIST", () => {
    const parsed = parseSessionPlaylist(
      '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-23T02:27:55.500+0000\nseg_000000.ts\n#EXTINF:0.833333,\nseg_000001.ts\n#EXT-X-ENDLIST\n',
    );
    expect(parsed).toEqual({
      first: 7,
      ended: true,
      segments: [
        { uri: 'seg_000000.ts', duration: 2, programDateTime: Date.UTC(2026, 10, 23, 2, 27, 55, 500) },
        { uri: 'seg_000001.ts', duration: 0.833333, programDateTime: null },
      ],
    });
  });
});
