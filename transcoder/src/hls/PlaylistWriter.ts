import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hlsLayout, hlsPaths, type CompositeJobData } from '@stagecast/protocol';
import type { Logger } from 'pino';
import { SESSION_PLAYLIST } from '../ffmpeg/buildFfmpegArgs.js';
import { isNotFound, linkOrCopy, move, removeQuietly, writeAtomic } from '../core/fsUtil.js';
import {
  appendSegment,
  initialState,
  mediaSequence,
  parseSessionPlaylist,
  renderMasterPlaylist,
  renderMediaPlaylist,
  renderVodPlaylist,
  type PlaylistState,
  type PublicSegment,
  type SessionSegment,
} from './playlist.js';

/** Name of the persisted state, next to the public playlists (dot-files are never served). */
export const STATE_FILE = '.playlist-state.json';
export const MASTER = hlsLayout.master;
export const MEDIA = hlsLayout.media;

/** Whether this process still owns the playlists it writes (see `PlaylistWriterOptions.fence`). */
export interface WriteFence {
  holds(): Promise<boolean>;
}

export interface PlaylistWriterOptions {
  job: CompositeJobData;
  /** `<dataDir>/hls/<roomId>` */
  hlsDir: string;
  /** `<dataDir>/vod/<roomId>/<broadcastId>` */
  vodDir: string;
  logger: Logger;
  /** Called after each segment is listed in every rendition, with its bytes (all renditions). */
  onSegment?: (segment: PublicSegment, bytes: number) => void;
  /**
   * Asked before each segment is published and before the end is written: once it answers
   * false (another process took the broadcast over), this writer writes nothing more, so two
   * processes never append to one playlist, and `onFenced` runs once.
   */
  fence?: WriteFence;
  onFenced?: () => void;
}

interface SessionFeed {
  id: string;
  dir: string;
  /** Segments of this session already handled (listed or dropped). */
  consumed: number;
  finished: boolean;
  /**
   * Wall time (ms) of the session's media time 0, when known: PROGRAM-DATE-TIME is then this
   * plus the segment's place in the session, the capture clock. FFmpeg's own is the time its
   * muxer started, which a busy start makes late.
   */
  epoch: number | undefined;
  /** Media time (ms) of the next segment, counted from the session's first. */
  elapsedMs: number;
}

function isState(value: unknown): value is PlaylistState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PlaylistState>;
  return (
    v.format === 1 &&
    typeof v.broadcastId === 'string' &&
    typeof v.nextSequence === 'number' &&
    typeof v.lastSessionNext === 'number' &&
    Array.isArray(v.live) &&
    Array.isArray(v.recorded)
  );
}

/**
 * Owns the public playlists of a room. FFmpeg sessions write into their own staging
 * directories; this class moves each completed segment (all renditions) to a unique public
 * name and appends it, so the media sequence only grows, sessions are joined by
 * discontinuities, and a successor process continues from the persisted state.
 */
export class PlaylistWriter {
  private readonly sessions: SessionFeed[] = [];
  private polling: Promise<void> | null = null;
  private masterWritten = false;
  private fenced = false;

  private constructor(
    private readonly options: PlaylistWriterOptions,
    private state: PlaylistState,
  ) {}

  /** Loads the state of this broadcast (takeover) or starts a fresh one (new broadcast). */
  static async open(options: PlaylistWriterOptions): Promise<PlaylistWriter> {
    const { job, hlsDir } = options;
    await mkdir(hlsDir, { recursive: true });
    let state: PlaylistState | null = null;
    try {
      const parsed: unknown = JSON.parse(await readFile(join(hlsDir, STATE_FILE), 'utf8'));
      if (isState(parsed) && parsed.broadcastId === job.broadcastId) state = parsed;
    } catch (error) {
      if (!isNotFound(error))
        options.logger.warn({ err: error }, 'unreadable playlist state; starting afresh');
    }
    const writer = new PlaylistWriter(
      options,
      state ?? initialState(job.roomId, job.broadcastId, job.segmentSeconds),
    );
    if (state) {
      options.logger.info({ next: state.nextSequence }, 'continuing the playlists of a previous process');
    } else {
      // A previous broadcast's files: its viewers have seen ENDLIST long ago.
      await rm(join(hlsDir, MASTER), { force: true });
      for (const r of job.ladder) await rm(join(hlsDir, r.name), { recursive: true, force: true });
      await writer.saveState();
    }
    for (const r of job.ladder) {
      await mkdir(join(hlsDir, r.name), { recursive: true });
      if (job.record) await mkdir(join(options.vodDir, r.name), { recursive: true });
    }
    await writer.sweep();
    return writer;
  }

  get segments(): number {
    return this.state.nextSequence;
  }

  get ended(): boolean {
    return this.state.ended;
  }

  /** True once the fence said another process owns the playlists now. */
  get superseded(): boolean {
    return this.fenced;
  }

  private async mayWrite(): Promise<boolean> {
    if (this.fenced) return false;
    if (!this.options.fence || (await this.options.fence.holds())) return true;
    this.fenced = true;
    this.options.logger.error('another process owns these playlists now; this one stops writing them');
    this.options.onFenced?.();
    return false;
  }

  /** A new FFmpeg session; its segments follow those of the sessions added before it. */
  addSession(id: string, dir: string, epoch?: number): void {
    this.sessions.push({ id, dir, consumed: 0, finished: false, epoch, elapsedMs: 0 });
  }

  /** The session's FFmpeg has exited: list what it completed, then move on to the next one. */
  finishSession(id: string): void {
    const feed = this.sessions.find((s) => s.id === id);
    if (feed) feed.finished = true;
  }

  /** Lists newly completed segments. Called every ~250 ms; overlapping calls share one pass. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /** ENDLIST on every live playlist, and the recording (VOD) when the job records. */
  async end(): Promise<{ segments: number; recordingUrl?: string }> {
    await this.poll();
    if (!(await this.mayWrite())) return { segments: this.state.nextSequence };
    this.state = { ...this.state, ended: true };
    await this.saveState();
    if (this.state.live.length > 0) await this.writeMediaPlaylists();
    const { job, vodDir } = this.options;
    if (!job.record || this.state.recorded.length === 0) return { segments: this.state.nextSequence };
    for (const r of job.ladder)
      await writeAtomic(join(vodDir, r.name, MEDIA), renderVodPlaylist(this.state, r.name));
    await writeAtomic(
      join(vodDir, MASTER),
      renderMasterPlaylist(job.ladder, job.frameRate, (name) => `${name}/${MEDIA}`),
    );
    return {
      segments: this.state.nextSequence,
      recordingUrl: hlsPaths.vodMaster(job.roomId, job.broadcastId),
    };
  }

  private async pollOnce(): Promise<void> {
    for (;;) {
      const head = this.sessions[0];
      if (!head) return;
      const ready = await this.readySegments(head);
      const count = ready[0]?.length ?? 0;
      for (let i = head.consumed; i < count; i++) {
        const perRendition = ready.map((segments) => segments[i]);
        head.consumed = i + 1;
        const first = perRendition[0];
        if (!first) continue;
        const start =
          head.epoch !== undefined
            ? Math.round(head.epoch + head.elapsedMs)
            : (first.programDateTime ?? Date.now());
        head.elapsedMs += first.duration * 1000;
        await this.publish(head, perRendition, start, i);
      }
      if (!head.finished) return;
      this.sessions.shift();
      await rm(head.dir, { recursive: true, force: true });
    }
  }

  /** Per rendition (ladder order), the session's segments FFmpeg completed in all of them. */
  private async readySegments(feed: SessionFeed): Promise<SessionSegment[][]> {
    const lists = await Promise.all(
      this.options.job.ladder.map(async (r) => {
        const text = await readFile(join(feed.dir, r.name, SESSION_PLAYLIST), 'utf8').catch(() => '');
        return parseSessionPlaylist(text).segments;
      }),
    );
    const count = Math.min(...lists.map((l) => l.length));
    return lists.map((l) => l.slice(0, count));
  }

  private async publish(
    feed: SessionFeed,
    segments: (SessionSegment | undefined)[],
    start: number,
    index: number,
  ): Promise<void> {
    // Checked before the moves: a successor publishes under the same sequence numbers.
    if (!(await this.mayWrite())) return;
    const { job, hlsDir, vodDir } = this.options;
    const durations: Record<string, number> = {};
    for (const [i, r] of job.ladder.entries()) durations[r.name] = segments[i]?.duration ?? 0;
    const next = appendSegment(
      this.state,
      { durations, programDateTime: start, session: feed.id, index },
      job.liveWindow,
      job.record,
    );
    let bytes = 0;
    for (const [i, r] of job.ladder.entries()) {
      const segment = segments[i];
      if (!segment) return;
      const target = join(hlsDir, r.name, next.added.file);
      // Move first, list second: a listed segment is always there.
      await move(join(feed.dir, r.name, segment.uri), target);
      bytes += (await stat(target)).size;
      if (job.record) await linkOrCopy(target, join(vodDir, r.name, next.added.file));
    }
    // State before playlists: a successor must never reuse a number a playlist has shown.
    this.state = next.state;
    await this.saveState();
    await this.writeMediaPlaylists();
    if (!this.masterWritten) {
      await writeAtomic(
        join(hlsDir, MASTER),
        renderMasterPlaylist(job.ladder, job.frameRate, (name) => `${name}/${MEDIA}`),
      );
      this.masterWritten = true;
    }
    if (next.retired.length > 0) await this.sweep();
    this.options.onSegment?.(next.added, bytes);
  }

  private async writeMediaPlaylists(): Promise<void> {
    for (const r of this.options.job.ladder) {
      await writeAtomic(join(this.options.hlsDir, r.name, MEDIA), renderMediaPlaylist(this.state, r.name));
    }
  }

  private async saveState(): Promise<void> {
    await writeAtomic(join(this.options.hlsDir, STATE_FILE), JSON.stringify(this.state));
  }

  /**
   * Deletes live segment files that left the window a whole window ago: players that loaded
   * the previous playlist can still fetch them. Recorded segments survive as VOD hard links.
   */
  private async sweep(): Promise<void> {
    const { job, hlsDir } = this.options;
    const keepFrom = mediaSequence(this.state) - Math.max(1, job.liveWindow);
    const prefix = `${job.broadcastId}-`;
    for (const r of job.ladder) {
      const files = await readdir(join(hlsDir, r.name)).catch(() => [] as string[]);
      for (const file of files) {
        if (!file.startsWith(prefix) || !file.endsWith('.ts')) continue;
        const seq = Number(file.slice(prefix.length, -3));
        if (Number.isInteger(seq) && seq < keepFrom) await removeQuietly(join(hlsDir, r.name, file));
      }
    }
  }
}
