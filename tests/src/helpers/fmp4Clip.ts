import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the clip's media time is painted (see `readClipClock`): 13 white-or-black cells. */
export const CLIP_CLOCK_BITS = 13;
/** Centre of the cell of bit `k` in the 320x180 picture. */
export function clipClockCell(k: number): { x: number; y: number } {
  return { x: 8 + (k % 7) * 44 + 18, y: (k < 7 ? 20 : 80) + 18 };
}

/** Paints floor(t × 10), the media time in tenths of a second, in binary (bit k white = 1). */
function clockFilters(): string {
  const boxes: string[] = [];
  for (let k = 0; k < CLIP_CLOCK_BITS; k++) {
    const { x, y } = clipClockCell(k);
    boxes.push(
      `drawbox=x=${x - 18}:y=${y - 18}:w=36:h=36:color=white:t=fill:` +
        `enable='eq(mod(floor(floor(t*10+0.001)/${2 ** k}),2),1)'`,
    );
  }
  return boxes.join(',');
}

/**
 * A real fMP4 clip cut into fragments of `partSeconds` that each start with a key frame
 * (H.264 test pattern + AAC tone, 320x180), made once by FFmpeg and kept in the temp folder:
 * LlHlsWriter writes them as LL-HLS parts a browser can play. With `clock`, the picture is
 * black with the media time painted in cells instead of the test pattern, so a page can
 * tell which moment of the clip it shows.
 */
export async function fmp4Clip(
  seconds = 40,
  partSeconds = 0.5,
  { clock = false }: { clock?: boolean } = {},
): Promise<{ init: Buffer; fragments: Buffer[] }> {
  const dir = join(tmpdir(), `stagecast-fmp4-clip-${seconds}-${partSeconds}${clock ? '-clock' : ''}`);
  if (!existsSync(join(dir, 'done'))) {
    const work = `${dir}.${process.pid}`;
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const gop = String(Math.round(30 * partSeconds));
    const video = clock
      ? `color=c=black:size=320x180:rate=30:duration=${seconds},${clockFilters()}`
      : `testsrc2=size=320x180:rate=30:duration=${seconds}`;
    // prettier-ignore
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', video,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', // a key frame opens every part
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'hls', '-hls_time', String(partSeconds), '-hls_playlist_type', 'vod',
      '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', join(work, 'frag-%04d.m4s'),
      join(work, 'clip.m3u8'),
    ]);
    await run('touch', [join(work, 'done')]);
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir).catch(() => rm(work, { recursive: true, force: true }));
  }
  const names = (await readdir(dir)).filter((n) => n.startsWith('frag-')).sort();
  return {
    init: await readFile(join(dir, 'init.mp4')),
    fragments: await Promise.all(names.map((n) => readFile(join(dir, n)))),
  };
}
