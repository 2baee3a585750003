/** Builders of fMP4 boxes for the tests of the playlist writer (ISO/IEC 14496-12 layouts). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompositeJobData } from '@stagecast/protocol';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
}

const fullBox = (type: string, flags: number, ...payload: Buffer[]): Buffer =>
  box(type, u32(flags & 0xffffff), ...payload);

/** Sample flags of a key frame (depends on nothing) and of any other video frame. */
export const SYNC = 0x02000000;
export const NON_SYNC = 0x01010000;

/** How a track fragment says its first sample's flags, as muxers do. */
export type FlagsIn = 'first-sample-flags' | 'sample-flags' | 'tfhd-default';

/** One track fragment of three samples whose first has `first` flags. */
export function traf(trackId: number, first: number, via: FlagsIn): Buffer {
  const defaults = via === 'tfhd-default' ? first : NON_SYNC;
  // default_sample_duration and default_sample_flags present
  const tfhd = fullBox('tfhd', 0x8 | 0x20, u32(trackId), u32(512), u32(defaults));
  const tfdt = fullBox('tfdt', 0, u32(0));
  let trun: Buffer;
  if (via === 'first-sample-flags') {
    trun = fullBox('trun', 0x1 | 0x4 | 0x200, u32(3), u32(0), u32(first), u32(10), u32(10), u32(10));
  } else if (via === 'sample-flags') {
    const sample = (flags: number) => [u32(10), u32(flags)];
    trun = fullBox('trun', 0x200 | 0x400, u32(3), ...sample(first), ...sample(NON_SYNC), ...sample(NON_SYNC));
  } else {
    trun = fullBox('trun', 0x200, u32(3), u32(10), u32(10), u32(10));
  }
  return box('traf', tfhd, tfdt, trun);
}

/**
 * A fragment as FFmpeg's hls muxer writes one (styp, sidx, moof, mdat): a video track whose
 * first sample is a key frame or not, and an audio track (all sync samples). `tag` fills the
 * mdat, so a test can tell fragments apart after they are joined.
 */
export function fragment(keyFrame: boolean, tag = 'x', via: FlagsIn = 'first-sample-flags'): Buffer {
  return Buffer.concat([
    box('styp', Buffer.from('msdh\0\0\0\0msdhmsix', 'latin1')),
    fullBox('sidx', 0, u32(1), u32(90000), u32(0), u32(0), u32(0)),
    box(
      'moof',
      fullBox('mfhd', 0, u32(1)),
      traf(1, keyFrame ? SYNC : NON_SYNC, via),
      traf(2, SYNC, 'tfhd-default'),
    ),
    box('mdat', Buffer.from(tag, 'utf8')),
  ]);
}

export interface FakeSessionOptions {
  /** PROGRAM-DATE-TIME of the first part, ms. */
  startMs?: number;
  ended?: boolean;
  /** A key frame every so many parts (the first part always has one). */
  keyEvery?: number;
  partSeconds?: number;
  /** List only the last so many parts, as FFmpeg does with `-hls_list_size`. */
  listed?: number;
}

/**
 * Plays FFmpeg's hls muxer in fMP4 mode: `count` fragments (parts) in each rendition
 * directory of a session, its init segment, and its playlist listing them. Each fragment's
 * mdat says `<dir>/<rendition>/<index>`.
 */
export async function fakeSession(
  dir: string,
  renditions: readonly string[],
  count: number,
  {
    startMs = Date.UTC(2030, 0, 1),
    ended = false,
    keyEvery = 4,
    partSeconds = 0.5,
    listed = count,
  }: FakeSessionOptions = {},
): Promise<void> {
  const first = Math.max(0, count - listed);
  for (const r of renditions) {
    await mkdir(join(dir, r), { recursive: true });
    await writeFile(join(dir, r, 'init.mp4'), box('ftyp', Buffer.from(`init ${dir}`)));
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:0',
      `#EXT-X-MEDIA-SEQUENCE:${first}`,
    ];
    lines.push('#EXT-X-MAP:URI="init.mp4"');
    for (let i = first; i < count; i++) {
      const name = `part_${String(i).padStart(6, '0')}.m4s`;
      await writeFile(join(dir, r, name), fragment(i % keyEvery === 0, `${dir}/${r}/${i}`));
      const pdt = new Date(startMs + i * partSeconds * 1000).toISOString().replace('Z', '+0000');
      lines.push(`#EXTINF:${partSeconds.toFixed(6)},`, `#EXT-X-PROGRAM-DATE-TIME:${pdt}`, name);
    }
    if (ended) lines.push('#EXT-X-ENDLIST');
    await writeFile(join(dir, r, 'index.m3u8'), lines.join('\n') + '\n');
  }
}

/** A job for the playlist writer's tests: two renditions (`hi`, `lo`), 2 s segments, recorded. */
export function writerJob(over: Partial<CompositeJobData> = {}): CompositeJobData {
  return {
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
    ...over,
  };
}
