import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CUE_DATERANGE_CLASS } from '@stagecast/protocol';
import { dateRangeLines, type PlaylistCue } from './cues.js';
import { PlaylistWriter } from './PlaylistWriter.js';
import { fakeSession, writerJob } from './testFixtures.js';

const logger = pino({ level: 'silent' });
const job = writerJob();
const names = job.ladder.map((r) => r.name);
const t0 = Date.UTC(2030, 0, 1);

let dataDir = '';
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stagecast-cues-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const hlsDir = () => join(dataDir, 'hls', job.roomId);
const vodDir = () => join(dataDir, 'vod', job.roomId, job.broadcastId);
const open = () => PlaylistWriter.open({ job, hlsDir: hlsDir(), vodDir: vodDir(), logger });
const live = (rendition: string) => readFile(join(hlsDir(), rendition, 'index.m3u8'), 'utf8');
const cue = (id: string, at: number, payload: PlaylistCue['payload'] = null): PlaylistCue => ({
  id,
  name: 'poll',
  payload,
  at,
});

/** The EXT-X-DATERANGE tags of a playlist, as attribute maps. */
function dateRanges(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('#EXT-X-DATERANGE:'))
    .map((line) => {
      const attrs: Record<string, string> = {};
      for (const m of line.slice(17).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g))
        attrs[m[1] ?? ''] = (m[2] ?? '').replace(/^"|"$/g, '');
      return attrs;
    });
}

describe('cues as EXT-X-DATERANGE', () => {
  it('writes id, class, start date, name and the payload as base64 JSON (no quote can break the tag)', () => {
    const payload = { question: 'Say "yes"\nor no?', options: [1, 2] };
    const [line] = dateRangeLines([cue('c1', t0, payload)], 0);
    const [attrs] = dateRanges(line ?? '');
    expect(attrs).toMatchObject({
      ID: 'c1',
      CLASS: CUE_DATERANGE_CLASS,
      'START-DATE': new Date(t0).toISOString(),
      'X-NAME': 'poll',
    });
    expect(JSON.parse(Buffer.from(attrs?.['X-PAYLOAD'] ?? '', 'base64').toString('utf8'))).toEqual(payload);
  });

  it('lists a cue in every live playlist at once, keeps it while its time is in the window, and in the recording', async () => {
    const w = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, names, 4, { startMs: t0 });
    w.addSession('s1', s1);
    await w.poll();
    // Sent while the open segment is on air, before the next part: listed without waiting for it.
    await w.addCue(cue('c1', t0 + 1500, { slide: 4 }));
    for (const r of names) expect(dateRanges(await live(r)).map((a) => a.ID)).toEqual(['c1']);
    // A resend of the same cue is listed once.
    await w.addCue(cue('c1', t0 + 1500, { slide: 4 }));
    expect(dateRanges(await live('hi'))).toHaveLength(1);

    // Ten more seconds: the segment of the cue leaves the live window of three, and the cue with it.
    await fakeSession(s1, names, 24, { startMs: t0 });
    await w.poll();
    expect(dateRanges(await live('hi'))).toEqual([]);

    w.finishSession('s1');
    await w.end();
    for (const r of names) {
      const vod = await readFile(join(vodDir(), r, 'index.m3u8'), 'utf8');
      expect(dateRanges(vod)).toMatchObject([{ ID: 'c1', 'START-DATE': new Date(t0 + 1500).toISOString() }]);
    }
  });

  it('a successor process keeps the cues of the broadcast it continues', async () => {
    const first = await open();
    const s1 = join(dataDir, 'work', 's1');
    await fakeSession(s1, names, 4, { startMs: t0 });
    first.addSession('s1', s1);
    await first.poll();
    await first.addCue(cue('c1', t0 + 1000));
    const second = await open();
    const s2 = join(dataDir, 'work', 's2');
    await fakeSession(s2, names, 4, { startMs: t0 + 2000 });
    second.addSession('s2', s2);
    await second.poll();
    expect(dateRanges(await live('lo')).map((a) => a.ID)).toEqual(['c1']);
  });
});
