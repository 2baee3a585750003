import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hlsLayout, hlsPaths } from '@stagecast/protocol';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { LlHlsWriter } from './helpers/LlHlsWriter.js';

/** Held requests one client address may have; small, so the cap itself is tested. */
const MAX_HELD_PER_IP = 4;

let ingest: TestIngest;
let rooms = 0;

beforeAll(async () => {
  ingest = await TestIngest.start({
    redisUrl: await ownRedisDatabase(13),
    hls: { pollMs: 250, maxHeld: 1000, maxHeldPerIp: MAX_HELD_PER_IP },
  });
});

afterAll(async () => {
  await ingest?.close();
});

/** A room folder of its own, with a writer that has written `parts` parts of every rung. */
async function liveRoom(parts = 1, options: { partSeconds?: number; partsPerSegment?: number } = {}) {
  const roomId = `ll${++rooms}`;
  const writer = await LlHlsWriter.create({
    dir: join(ingest.dataDir, hlsLayout.liveDir(roomId)),
    ...options,
  });
  for (let i = 0; i < parts; i++) await writer.writePart();
  const playlist = (rung: string, query = '') => `${ingest.url}${hlsPaths.media(roomId, rung)}${query}`;
  const part = (rung: string, file: string) => `${ingest.url}/${hlsLayout.liveDir(roomId)}/${rung}/${file}`;
  return { roomId, writer, playlist, part };
}

/** Resolves with the response and when it came; `settled()` tells whether it did yet. */
function track(request: Promise<Response>) {
  let at: number | null = null;
  const answer = request.then((res) => {
    at = Date.now();
    return res;
  });
  return { answer, settled: () => at !== null, at: () => at ?? Infinity };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error: { code: string } };
  return body.error.code;
}

describe('LL-HLS origin', () => {
  it('holds a request for the next part until the part is written, then answers with it', async () => {
    const { writer, playlist } = await liveRoom(1);
    const next = writer.nextPart('720p');
    const held = track(fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=1')));
    await sleep(600);
    expect(held.settled()).toBe(false);
    const writtenAt = Date.now();
    await writer.writePart();
    const res = await held.answer;
    expect(res.status).toBe(200);
    expect(held.at()).toBeGreaterThanOrEqual(writtenAt);
    const text = await res.text();
    expect(text).toContain(`URI="${next}"`);
    expect(text).toContain(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${writer.nextPart('720p')}"`);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // Unique to the part it waited for: a cache may share it for a while.
    expect(res.headers.get('cache-control')).toBe('public, max-age=6');
  });

  it('answers at once when the part already exists, and holds a whole segment until it closes', async () => {
    const { writer, playlist } = await liveRoom(3);
    const now = await fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=1'));
    expect(now.status).toBe(200);
    const segment = track(fetch(playlist('720p', '?_HLS_msn=0')));
    await sleep(300);
    expect(segment.settled()).toBe(false);
    await writer.writePart();
    const text = await (await segment.answer).text();
    expect(text).toMatch(/#EXTINF:2\.000,\nb1-0\.m4s/);
  });

  it('serves a plain reload from memory, never to be cached', async () => {
    const { playlist } = await liveRoom(2);
    const res = await fetch(playlist('360p'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const text = await res.text();
    expect(text.startsWith('#EXTM3U\n#EXT-X-VERSION:9\n')).toBe(true);
    expect(text).toContain('#EXT-X-PART-INF:PART-TARGET=0.500');
  });

  it('refuses a request more than two segments ahead, or parts past the limit, with a 400', async () => {
    const { playlist } = await liveRoom(1);
    const far = await fetch(playlist('720p', '?_HLS_msn=3&_HLS_part=0'));
    expect(far.status).toBe(400);
    expect(await errorCode(far)).toBe('BEYOND_LIVE_EDGE');
    // Part 0 is the last one; 3 / 0.5 s = 6 parts ahead is the Advance Part Limit.
    const parts = await fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=7'));
    expect(parts.status).toBe(400);
    expect(await errorCode(parts)).toBe('BEYOND_LIVE_EDGE');
    expect(parts.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses invalid directives, then still serves a well-behaved request', async () => {
    const { playlist } = await liveRoom(1);
    for (const query of [
      '?_HLS_msn=abc',
      '?_HLS_msn=-1',
      '?_HLS_part=1',
      '?_HLS_msn=1&_HLS_msn=2',
      '?_HLS_skip=NO',
      '?_HLS_whatever=1',
      '?_HLS_msn=1e3',
    ]) {
      const res = await fetch(playlist('720p', query));
      expect(res.status, query).toBe(400);
      expect(await errorCode(res), query).toBe('BAD_REQUEST');
    }
    const ok = await fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=0&cachebuster=1'));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('#EXT-X-PART:');
  });

  it('answers _HLS_skip with a well-formed delta update', async () => {
    // 8 segments of 2 s and a 12 s skip boundary: only the oldest ends more than 12 s before the end.
    const { playlist } = await liveRoom(4 * 10 + 1);
    const full = await (await fetch(playlist('720p'))).text();
    for (const skip of ['YES', 'v2']) {
      const delta = await (await fetch(playlist('720p', `?_HLS_skip=${skip}`))).text();
      const sequence = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(delta)?.[1];
      expect(sequence).toBe(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(full)?.[1]);
      const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)\n/.exec(delta)?.[1]);
      expect(skipped).toBe(1);
      const segments = (text: string) => text.split('\n').filter((l) => /^b1-\d+\.m4s$/.test(l));
      expect(segments(delta)).toEqual(segments(full).slice(skipped));
      // Version and server control stay; everything after the skipped segments is unchanged.
      expect(delta).toContain('#EXT-X-VERSION:9\n');
      const fullLines = full.split('\n');
      const kept = fullLines.slice(fullLines.indexOf(segments(full)[skipped - 1] ?? '') + 1);
      const deltaLines = delta.split('\n');
      const afterSkip = deltaLines.slice(deltaLines.findIndex((l) => l.startsWith('#EXT-X-SKIP')) + 1);
      // The writer's MAP stood before the first segment: repeated for the segments kept.
      expect(afterSkip[0]).toBe('#EXT-X-MAP:URI="init.mp4"');
      expect(afterSkip.slice(1)).toEqual(kept);
    }
  });

  it('adds current rendition reports for the other rungs', async () => {
    const { writer, playlist } = await liveRoom(2);
    // Only 720p moves on: the 360p playlist reports where 720p is now.
    for (let i = 0; i < 3; i++) await writer.writePart(['720p']);
    const at = writer.lastPart('720p');
    const report = (text: string) =>
      /#EXT-X-RENDITION-REPORT:URI="([^"]+)",LAST-MSN=(\d+),LAST-PART=(\d+)/.exec(text);
    const first = report(await (await fetch(playlist('360p'))).text());
    expect(first?.slice(1)).toEqual(['../720p/index.m3u8', String(at.msn), String(at.part)]);
    const held = fetch(playlist('360p', `?_HLS_msn=0&_HLS_part=2`));
    await writer.writePart();
    const after = writer.lastPart('720p');
    expect(report(await (await held).text())?.slice(2)).toEqual([String(after.msn), String(after.part)]);
    const own = await (await fetch(playlist('720p'))).text();
    expect(own).toContain('#EXT-X-RENDITION-REPORT:URI="../360p/index.m3u8",LAST-MSN=0,LAST-PART=2');
    expect(own).not.toContain('URI="../720p/index.m3u8"');
  });

  it('holds a GET for the hinted part until it is written, then serves it', async () => {
    const { roomId, writer, part } = await liveRoom(1);
    const file = writer.nextPart('720p');
    const held = track(fetch(part('720p', file)));
    await sleep(500);
    expect(held.settled()).toBe(false);
    await writer.writePart();
    const res = await held.answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const onDisk = await readFile(join(ingest.dataDir, hlsLayout.liveDir(roomId), '720p', file));
    expect(Buffer.from(await res.arrayBuffer()).equals(onDisk)).toBe(true);
    // A part that is neither on disk nor hinted is a plain 404.
    const missing = await fetch(part('720p', 'b1-99.0.m4s'));
    expect(missing.status).toBe(404);
  });

  it('ignores the directives once the broadcast ended', async () => {
    const { writer, playlist } = await liveRoom(2);
    await writer.end();
    const res = await fetch(playlist('720p', '?_HLS_msn=5&_HLS_part=0&_HLS_skip=YES'));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(text).not.toContain('EXT-X-SKIP');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('stops serving a playlist from memory once its files are deleted', async () => {
    const { roomId, playlist } = await liveRoom(1);
    expect((await fetch(playlist('720p'))).status).toBe(200);
    await rm(join(ingest.dataDir, hlsLayout.liveDir(roomId)), { recursive: true, force: true });
    await waitFor(
      async () => (await fetch(playlist('720p'))).status === 404,
      'a 404 for the deleted playlist',
      5000,
    );
  });

  it('answers 503 when a held request outlasts three target durations', async () => {
    // 1 s target duration: the hold ends after 3 s.
    const { playlist } = await liveRoom(1, { partSeconds: 0.25, partsPerSegment: 4 });
    const started = Date.now();
    const res = await fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=1'));
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe('UNAVAILABLE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('caps the requests one address holds, and frees a place when a client leaves', async () => {
    const { writer, playlist } = await liveRoom(1);
    const aborts = Array.from({ length: MAX_HELD_PER_IP }, () => new AbortController());
    const held = aborts.map((a, i) =>
      fetch(playlist('720p', `?_HLS_msn=0&_HLS_part=1&n=${i}`), { signal: a.signal }).catch(() => null),
    );
    await sleep(500);
    const refused = await fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=1'));
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe('RATE_LIMITED');
    // Plain requests are never held, hence never refused.
    expect((await fetch(playlist('720p'))).status).toBe(200);
    for (const a of aborts) a.abort();
    await Promise.all(held);
    await sleep(300);
    const again = track(fetch(playlist('720p', '?_HLS_msn=0&_HLS_part=1')));
    await sleep(300);
    expect(again.settled()).toBe(false);
    await writer.writePart();
    expect((await again.answer).status).toBe(200);
  });
});
