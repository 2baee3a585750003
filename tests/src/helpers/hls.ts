import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Parser, type Manifest } from 'm3u8-parser';

const run = promisify(execFile);

export function parsePlaylist(text: string): Manifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

export async function fetchPlaylist(
  url: string,
): Promise<{ text: string; manifest: Manifest; headers: Headers } | null> {
  const res = await fetch(url);
  if (!res.ok) return null;
  const text = await res.text();
  return { text, manifest: parsePlaylist(text), headers: res.headers };
}

type ManifestSegment = Manifest['segments'][number];

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * One segment of a media playlist as a file FFmpeg decodes on its own: an fMP4 segment
 * after its init segment (EXT-X-MAP). Downloaded first: FFmpeg's readers seek, which an
 * origin without byte ranges answers from the start.
 */
export async function segmentFile(segment: ManifestSegment, mediaPlaylistUrl: string): Promise<string> {
  const map = segment.map?.uri;
  const parts = await Promise.all(
    [...(map ? [map] : []), segment.uri].map((uri) => download(new URL(uri, mediaPlaylistUrl).toString())),
  );
  const file = join(await mkdtemp(join(tmpdir(), 'stagecast-segment-')), 'segment.mp4');
  await writeFile(file, Buffer.concat(parts));
  return file;
}

/** Stream types FFmpeg can decode from a URL, read by ffprobe (decoding a few frames). */
export async function probeStreams(url: string): Promise<{ video: number; audio: number; duration: number }> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', url],
    {
      timeout: 30_000,
    },
  );
  const parsed = JSON.parse(stdout) as {
    streams?: { codec_type?: string }[];
    format?: { duration?: string };
  };
  const streams = parsed.streams ?? [];
  return {
    video: streams.filter((s) => s.codec_type === 'video').length,
    audio: streams.filter((s) => s.codec_type === 'audio').length,
    duration: Number(parsed.format?.duration ?? 0),
  };
}

/** Decodes a media URL fully; rejects with FFmpeg's errors if any frame fails. */
export async function decodes(url: string): Promise<void> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', url, '-f', 'null', '-'], {
    timeout: 60_000,
  });
  if (stderr.trim()) throw new Error(`decode errors: ${stderr.slice(0, 500)}`);
}

/**
 * Decodes every segment of a media playlist on its own (after its init segment). A whole
 * multi-session playlist is not fed to one FFmpeg: across EXT-X-DISCONTINUITY timestamps
 * restart, which FFmpeg's HLS reader does not expect although players reset there by design.
 */
export async function decodesEverySegment(mediaPlaylistUrl: string): Promise<number> {
  const playlist = await fetchPlaylist(mediaPlaylistUrl);
  if (!playlist) throw new Error(`no playlist at ${mediaPlaylistUrl}`);
  for (const segment of playlist.manifest.segments) {
    const file = await segmentFile(segment, mediaPlaylistUrl);
    await decodes(file).finally(() => rm(dirname(file), { recursive: true, force: true }));
  }
  return playlist.manifest.segments.length;
}

/**
 * Watches a live media playlist and checks, at every poll, the promises of a continuous
 * playlist: the media sequence never goes back, a sequence number always names the same
 * segment, a segment's discontinuity number never changes, and listed segments are served.
 */
export class PlaylistWatcher {
  readonly violations: string[] = [];
  private readonly uriOf = new Map<number, string>();
  private readonly timelineOf = new Map<number, number>();
  private lastSequence = -1;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  polls = 0;
  discontinuities = 0;
  /** Wall-clock time missing at each discontinuity (ms; negative: the sessions overlapped). */
  readonly gapsMs: number[] = [];
  /**
   * For each segment that appeared while watching: how long after the end of its
   * PROGRAM-DATE-TIME it was first seen listed (ms), i.e. how far behind live it reached players.
   */
  readonly lateMs: { seq: number; ms: number }[] = [];
  private lastEnd: number | null = null;

  constructor(private readonly url: string) {}

  start(intervalMs = 500): void {
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void this.poll().finally(() => {
        this.polling = false;
      });
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Highest media sequence number seen so far. */
  get newestSequence(): number {
    return Math.max(-1, ...this.uriOf.keys());
  }

  async poll(): Promise<void> {
    const playlist = await fetchPlaylist(this.url).catch(() => null);
    if (!playlist) return;
    const seenAt = Date.now();
    this.polls++;
    const { manifest } = playlist;
    const first = manifest.mediaSequence ?? 0;
    if (first < this.lastSequence)
      this.violations.push(`media sequence went back: ${this.lastSequence} → ${first}`);
    this.lastSequence = first;
    for (const [i, segment] of manifest.segments.entries()) {
      const seq = first + i;
      const known = this.uriOf.get(seq);
      if (known === undefined) {
        this.uriOf.set(seq, segment.uri);
        this.timelineOf.set(seq, segment.timeline);
        if (segment.discontinuity) this.discontinuities++;
        const start = segment.programDateTime;
        if (segment.discontinuity && start !== undefined && this.lastEnd !== null)
          this.gapsMs.push(start - this.lastEnd);
        if (start !== undefined) {
          this.lastEnd = start + segment.duration * 1000;
          // The first poll finds segments listed before watching began: their lateness is unknown.
          if (this.polls > 1) this.lateMs.push({ seq, ms: seenAt - this.lastEnd });
        }
        const res = await fetch(new URL(segment.uri, this.url), { method: 'HEAD' });
        if (!res.ok)
          this.violations.push(`segment ${seq} (${segment.uri}) listed but answered ${res.status}`);
      } else {
        if (known !== segment.uri)
          this.violations.push(`sequence ${seq} changed from ${known} to ${segment.uri}`);
        if (this.timelineOf.get(seq) !== segment.timeline) {
          this.violations.push(
            `discontinuity number of ${seq} changed ${this.timelineOf.get(seq)} → ${segment.timeline}`,
          );
        }
      }
    }
  }
}
