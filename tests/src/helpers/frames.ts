import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { fetchPlaylist, segmentFile } from './hls.js';
import { waitFor } from './servers.js';

const run = promisify(execFile);

/** A rectangle of the 360p rung's picture, in its pixels. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Mean RGB of a rectangle of the first frame of the newest 360p segment of a live broadcast,
 * once at least two more than `after` segments are listed (that segment started after the
 * call); `total` is how many segments were listed then, for the next call's `after`.
 */
export async function newFrameColour(
  masterUrl: string,
  after: number,
  rect: Rect,
): Promise<{ total: number; rgb: number[] }> {
  const master = await waitFor(() => fetchPlaylist(masterUrl), 'the master playlist');
  const variant = (master.manifest.playlists ?? []).find((p) => p.attributes.RESOLUTION?.height === 360);
  if (!variant) throw new Error('no 360p rung');
  const url = new URL(variant.uri, masterUrl).toString();
  const playlist = await waitFor(
    async () => {
      const p = await fetchPlaylist(url);
      const total = p ? (p.manifest.mediaSequence ?? 0) + p.manifest.segments.length : 0;
      return p && total >= after + 2 ? p : null;
    },
    'two more 360p segments',
    60_000,
  );
  const segment = playlist.manifest.segments.at(-1);
  if (!segment) throw new Error('no segment');
  const file = await segmentFile(segment, url);
  try {
    const { stdout } = await run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        file,
        '-frames:v',
        '1',
        '-vf',
        `crop=${rect.w}:${rect.h}:${rect.x}:${rect.y}`,
      ].concat(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']),
      { encoding: 'buffer', timeout: 30_000 },
    );
    const mean = [0, 0, 0];
    for (let i = 0; i < stdout.length; i++) mean[i % 3]! += stdout[i]!;
    const n = stdout.length / 3;
    return {
      total: (playlist.manifest.mediaSequence ?? 0) + playlist.manifest.segments.length,
      rgb: mean.map((v) => Math.round(v / n)),
    };
  } finally {
    await rm(dirname(file), { recursive: true, force: true });
  }
}

/**
 * The colour of a rectangle once the picture shows what `wanted` accepts there, looking at the
 * first frame of each new 360p segment in turn. A change the compositor reports on air reaches
 * the listed segments only after the encoder, the packager and the playlist writer: on a loaded
 * machine that can be more than the two segments `newFrameColour` waits for.
 */
export async function frameShowing(
  masterUrl: string,
  rect: Rect,
  wanted: (rgb: number[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let after = await segmentsSoFar(masterUrl);
  for (;;) {
    const frame = await newFrameColour(masterUrl, after, rect);
    if (wanted(frame.rgb)) return frame.rgb;
    if (Date.now() > deadline)
      throw new Error(`${what} not in the picture within ${timeoutMs} ms (last rgb ${frame.rgb.join(',')})`);
    after = frame.total - 1; // the next frame comes from the next segment
  }
}

/** How many 360p segments the live broadcast has listed so far. */
export async function segmentsSoFar(masterUrl: string): Promise<number> {
  return (await newFrameColour(masterUrl, 0, { x: 0, y: 0, w: 2, h: 2 })).total;
}

/**
 * Where the Q&A lower-third's accent bar (its left edge, blue on a dark box) lies in the 360p
 * rung (half of the 1280x720 composite).
 */
export const LOWER_THIRD_ACCENT: Rect = { x: 16, y: 310, w: 4, h: 24 };

/** Whether a colour is the lower-third's accent blue. */
export function isAccentBlue([r, g, b]: number[]): boolean {
  return b !== undefined && r !== undefined && g !== undefined && b > 150 && b - r > 100 && g < b;
}
