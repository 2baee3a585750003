import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hlsLayout } from '@stagecast/protocol';

/** Options of an LlHlsWriter. */
export interface LlHlsWriterOptions {
  /** The room's live folder (`<dataDir>/hls/<room>`). */
  dir: string;
  /** Rendition folder names. Default 720p and 360p. */
  rungs?: string[];
  broadcastId?: string;
  /** Part duration in seconds. Default 0.5. */
  partSeconds?: number;
  /** Parts per segment. Default 4. */
  partsPerSegment?: number;
  /** Complete segments in the playlist. Default 8. */
  window?: number;
  /** Complete segments that still list their parts. Default 2. */
  partSegments?: number;
  /** Bytes per part file when `media` is not given. Default 2 000. */
  partBytes?: number;
  /**
   * Real fMP4 (see `fmp4Clip`): the init segment and one fragment per part, in order, for a
   * player to play. Without it parts are random bytes. Writing stops when the fragments run out.
   */
  media?: { init: Buffer; fragments: Buffer[] };
  /**
   * PROGRAM-DATE-TIME of the first part (ms). Default now. A capture clock for parts written
   * ahead at once (a viewer arriving mid-broadcast): `Date.now() - parts * partSeconds * 1000`.
   */
  startMs?: number;
}

interface Segment {
  msn: number;
  pdt: number;
  parts: string[];
  bytes: Buffer[];
  /** Null while in progress. */
  file: string | null;
}

interface Rung {
  name: string;
  dir: string;
  segments: Segment[];
  ended: boolean;
  /** Parts written so far. */
  written: number;
}

/**
 * Writes LL-HLS files as the transcoder's playlist writer lays them out on disk (the contract
 * between the two): per rung, fMP4-named part files, each complete before a playlist names it,
 * whole segments, and a media playlist renamed into place with parts, a preload hint and no
 * rendition reports. The bytes are not media: the origin never looks inside them.
 */
export class LlHlsWriter {
  private readonly rungs: Rung[];
  private readonly broadcastId: string;
  private readonly partSeconds: number;
  private readonly partsPerSegment: number;
  private readonly window: number;
  private readonly partSegments: number;
  private readonly partBytes: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly options: LlHlsWriterOptions) {
    this.broadcastId = options.broadcastId ?? 'b1';
    this.partSeconds = options.partSeconds ?? 0.5;
    this.partsPerSegment = options.partsPerSegment ?? 4;
    this.window = options.window ?? 8;
    this.partSegments = options.partSegments ?? 2;
    this.partBytes = options.partBytes ?? 2000;
    const start = options.startMs ?? Date.now();
    this.rungs = (options.rungs ?? ['720p', '360p']).map((name) => ({
      name,
      dir: join(options.dir, name),
      segments: [{ msn: 0, pdt: start, parts: [], bytes: [], file: null }],
      ended: false,
      written: 0,
    }));
  }

  /** Writes the master playlist, the init segments and a first playlist (a hint, no part yet). */
  static async create(options: LlHlsWriterOptions): Promise<LlHlsWriter> {
    const writer = new LlHlsWriter(options);
    await mkdir(options.dir, { recursive: true });
    const master = ['#EXTM3U', '#EXT-X-VERSION:9'];
    for (const rung of writer.rungs) {
      await mkdir(rung.dir, { recursive: true });
      await writer.atomic(rung.dir, 'init.mp4', options.media?.init ?? randomBytes(100));
      await writer.writePlaylist(rung);
      master.push('#EXT-X-STREAM-INF:BANDWIDTH=1000000', `${rung.name}/${hlsLayout.media}`);
    }
    await writer.atomic(options.dir, hlsLayout.master, `${master.join('\n')}\n`);
    return writer;
  }

  /** The part file the rung's playlist hints at (written by the next `writePart`). */
  nextPart(rung: string): string {
    const segment = this.rung(rung).segments.at(-1);
    if (!segment) throw new Error('no segment');
    return this.partName(segment.msn, segment.parts.length);
  }

  /** Parts written so far in a rung (the media time of its live edge is this × partSeconds). */
  written(rung: string): number {
    return this.rung(rung).written;
  }

  /** The last part written: segment and part index. */
  lastPart(rung: string): { msn: number; part: number } {
    const segments = this.rung(rung).segments;
    const current = segments.at(-1);
    if (current && current.parts.length > 0) return { msn: current.msn, part: current.parts.length - 1 };
    const previous = segments.at(-2);
    return { msn: previous?.msn ?? -1, part: this.partsPerSegment - 1 };
  }

  /** Writes the next part of each rung named (all by default), then its playlist. */
  writePart(rungs: string[] = this.rungs.map((r) => r.name)): Promise<void> {
    this.writing = this.writing.then(async () => {
      for (const name of rungs) await this.advance(this.rung(name));
    });
    return this.writing;
  }

  /** Writes a part of every rung every `partSeconds` until `stop()`. */
  run(): void {
    this.timer ??= setInterval(() => void this.writePart(), this.partSeconds * 1000);
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.writing;
  }

  /** Ends the broadcast: every playlist gets EXT-X-ENDLIST. */
  async end(): Promise<void> {
    await this.stop();
    for (const rung of this.rungs) {
      rung.ended = true;
      await this.writePlaylist(rung);
    }
  }

  private rung(name: string): Rung {
    const rung = this.rungs.find((r) => r.name === name);
    if (!rung) throw new Error(`no rung ${name}`);
    return rung;
  }

  private partName(msn: number, part: number): string {
    return `${this.broadcastId}-${msn}.${part}.m4s`;
  }

  private async advance(rung: Rung): Promise<void> {
    const segment = rung.segments.at(-1);
    const media = this.options.media;
    if (!segment || rung.ended || (media && rung.written >= media.fragments.length)) return;
    const name = this.partName(segment.msn, segment.parts.length);
    const bytes = media?.fragments[rung.written] ?? randomBytes(this.partBytes);
    await this.atomic(rung.dir, name, bytes);
    rung.written += 1;
    segment.parts.push(name);
    segment.bytes.push(bytes);
    if (segment.parts.length === this.partsPerSegment) {
      // A segment is its parts end to end (fMP4 fragments concatenate).
      segment.file = `${this.broadcastId}-${segment.msn}.m4s`;
      await this.atomic(rung.dir, segment.file, Buffer.concat(segment.bytes));
      segment.bytes = [];
      const pdt = segment.pdt + this.partsPerSegment * this.partSeconds * 1000;
      rung.segments.push({ msn: segment.msn + 1, pdt, parts: [], bytes: [], file: null });
      if (rung.segments.length > this.window + 1) rung.segments.shift();
    }
    await this.writePlaylist(rung);
  }

  private async writePlaylist(rung: Rung): Promise<void> {
    const segmentSeconds = this.partSeconds * this.partsPerSegment;
    const first = rung.segments[0];
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      `#EXT-X-TARGETDURATION:${Math.ceil(segmentSeconds)}`,
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${(3 * this.partSeconds).toFixed(3)},` +
        `CAN-SKIP-UNTIL=${(6 * segmentSeconds).toFixed(1)}`,
      `#EXT-X-PART-INF:PART-TARGET=${this.partSeconds.toFixed(3)}`,
      `#EXT-X-MEDIA-SEQUENCE:${first?.msn ?? 0}`,
      '#EXT-X-MAP:URI="init.mp4"',
    ];
    const complete = rung.segments.filter((s) => s.file !== null).length;
    rung.segments.forEach((segment, i) => {
      if (segment.file === null && segment.parts.length === 0) return;
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.pdt).toISOString()}`);
      if (segment.file === null || i >= complete - this.partSegments)
        segment.parts.forEach((part, p) =>
          lines.push(
            `#EXT-X-PART:DURATION=${this.partSeconds.toFixed(3)},URI="${part}"${p === 0 ? ',INDEPENDENT=YES' : ''}`,
          ),
        );
      if (segment.file !== null) lines.push(`#EXTINF:${segmentSeconds.toFixed(3)},`, segment.file);
    });
    if (rung.ended) lines.push('#EXT-X-ENDLIST');
    else {
      const current = rung.segments.at(-1);
      if (current)
        lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${this.partName(current.msn, current.parts.length)}"`);
    }
    await this.atomic(rung.dir, hlsLayout.media, `${lines.join('\n')}\n`);
  }

  /** Temp-then-rename, as the writer does: a reader never sees half a file. */
  private async atomic(dir: string, name: string, data: string | Buffer): Promise<void> {
    const temp = join(dir, `${name}.tmp`);
    await writeFile(temp, data);
    await rename(temp, join(dir, name));
  }
}
