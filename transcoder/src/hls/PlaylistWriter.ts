import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hlsLayout, hlsPaths, type CompositeJobData } from '@stagecast/protocol';
import type { Logger } from 'pino';
import { partSeconds, SESSION_INIT } from '../ffmpeg/buildFfmpegArgs.js';
import { openSessionFeed, readyParts, type SessionFeed } from './sessionFeed.js';
import { linkOrCopy, move, removeQuietly, writeAtomic } from '../core/fsUtil.js';
import { joinFragments, startsWithKeyFrame } from './fmp4.js';
import { clearRecording, loadCues, loadState, saveCues, saveState } from './stateFiles.js';
import {
  appendPart,
  closeSegment,
  initialState,
  mediaSequence,
  opensSegment,
  renderMasterPlaylist,
  renderMediaPlaylist,
  renderVodPlaylist,
  type PlaylistState,
  type PublicSegment,
  type SessionSegment,
} from './playlist.js';
import type { PlaylistCue } from './cues.js';

/** Segments that left the live window stay on disk for this many more (see `sweep`). */
export const RETIRED_KEPT_SEGMENTS = 10;

export const MASTER = hlsLayout.master;
export const MEDIA = hlsLayout.media;
/** Cues kept per broadcast (the ingest rate-limits them far below this); the oldest go first. */
export const MAX_CUES = 1000;

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
   * Called after each part is listed, with the top rung's (the ladder's first) public file
   * names in `hlsDir/<rendition>/`: what restreaming copies.
   */
  onPart?: (part: { map: string; file: string; independent: boolean }) => void;
  /**
   * Asked before each part is published and before the end is written: once it answers
   * false (another process took the broadcast over), this writer writes nothing more, so two
   * processes never append to one playlist, and `onFenced` runs once.
   */
  fence?: WriteFence;
  onFenced?: () => void;
}

/**
 * Owns the public playlists of a room (LL-HLS). FFmpeg sessions write fMP4 fragments into
 * their own staging directories; this class moves each completed fragment (all renditions)
 * to a unique public name and lists it as a part, and joins the parts from one key frame to
 * the next into a segment file, so classic clients and the recording see whole segments. The
 * media sequence only grows, sessions are joined by discontinuities, and a successor process
 * continues from the persisted state.
 */
export class PlaylistWriter {
  private readonly sessions: SessionFeed[] = [];
  private polling: Promise<void> | null = null;
  private again: Promise<void> | null = null;
  /** The segment `closeOpen` listed in the state, announced once `commit` has published it. */
  private closed: { segment: PublicSegment; bytes: number; sweep: boolean } | null = null;
  private masterWritten = false;
  /** The live window changed since it was last saved (a new writer saves it once). */
  private windowChanged = true;
  private fenced = false;
  /** The broadcast's cues (EXT-X-DATERANGE), and those waiting for the next pass. */
  private cues: PlaylistCue[] = [];
  private readonly incomingCues: PlaylistCue[] = [];

  private constructor(
    private readonly options: PlaylistWriterOptions,
    private state: PlaylistState,
  ) {}

  /** Loads the state of this broadcast (takeover) or starts a fresh one (new broadcast). */
  static async open(options: PlaylistWriterOptions): Promise<PlaylistWriter> {
    const { job, hlsDir } = options;
    await mkdir(hlsDir, { recursive: true });
    const state = await loadState(hlsDir, job.broadcastId, options.logger);
    const writer = new PlaylistWriter(
      options,
      state ?? initialState(job.roomId, job.broadcastId, job.segmentSeconds, partSeconds(job.segmentSeconds)),
    );
    if (state) {
      writer.cues = await loadCues(hlsDir, job.broadcastId);
      options.logger.info({ next: state.nextSequence }, 'continuing the playlists of a previous process');
      // The previous process's FFmpeg is gone: its open segment ends with the parts it listed.
      if (state.open && (await writer.mayWrite())) {
        await writer.closeOpen().catch((error: unknown) => {
          options.logger.warn({ err: error }, 'the open segment could not be joined; its parts are dropped');
          writer.state = { ...writer.state, open: null };
        });
        await writer.commit();
      }
    } else {
      // A previous broadcast's files: its viewers have seen ENDLIST long ago.
      await rm(join(hlsDir, MASTER), { force: true });
      await clearRecording(hlsDir);
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
    this.sessions.push(
      openSessionFeed(id, dir, epoch, this.options.job.ladder, () => {
        this.poll().catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'playlist update failed'),
        );
      }),
    );
  }

  /** The session's FFmpeg has exited: list what it completed, then move on to the next one. */
  finishSession(id: string): void {
    const feed = this.sessions.find((s) => s.id === id);
    if (feed) feed.finished = true;
  }

  /**
   * Lists newly completed parts. Called every ~250 ms and on each change of FFmpeg's
   * playlists; overlapping calls share one pass, and a call during a pass gets one more.
   */
  poll(): Promise<void> {
    if (this.polling) {
      this.again ??= this.polling
        .catch(() => undefined)
        .then(() => {
          this.again = null;
          return this.poll();
        });
      return this.again;
    }
    this.polling = this.pollOnce().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /**
   * Lists a cue in the live playlists (and the recording) as EXT-X-DATERANGE from the next
   * pass on; a cue already listed (a resend) is ignored. Passes are serialized, so a cue never
   * races a part over the playlists.
   */
  addCue(cue: PlaylistCue): Promise<void> {
    const { id, name, payload, at } = cue;
    this.incomingCues.push({ id, name, payload, at });
    return this.poll();
  }

  /** Moves the incoming cues into the list; true when one was new. */
  private async takeCues(): Promise<boolean> {
    const fresh = this.incomingCues.splice(0).filter((c) => !this.cues.some((known) => known.id === c.id));
    if (fresh.length === 0) return false;
    this.cues = [...this.cues, ...fresh].slice(-MAX_CUES);
    await saveCues(this.options.hlsDir, this.options.job.broadcastId, this.cues);
    return true;
  }

  /** ENDLIST on every live playlist, and the recording (VOD) when the job records. */
  async end(): Promise<{ segments: number; recordingUrl?: string }> {
    await this.poll();
    if (!(await this.mayWrite())) return { segments: this.state.nextSequence };
    await this.closeOpen();
    this.state = { ...this.state, ended: true };
    await this.commit();
    for (const feed of this.sessions) for (const w of feed.watchers) w.close();
    const { job, vodDir } = this.options;
    if (!job.record || this.state.recorded.length === 0) return { segments: this.state.nextSequence };
    for (const r of job.ladder)
      await writeAtomic(join(vodDir, r.name, MEDIA), renderVodPlaylist(this.state, r.name, this.cues));
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
    // Listed at once, not with the next part: the cue must be in the playlist before its time.
    if ((await this.takeCues()) && this.state.nextPart > 0 && (await this.mayWrite()))
      await this.writeMediaPlaylists();
    for (;;) {
      const head = this.sessions[0];
      if (!head) return;
      const ready = await readyParts(head, this.options.job.ladder);
      for (let i = head.consumed; i < ready.count; i++) {
        const perRendition = ready.lists.map((list) => list.segments[i - list.first]);
        head.consumed = i + 1;
        const first = perRendition[0];
        if (!first || perRendition.some((part) => !part)) {
          this.options.logger.error(
            { session: head.id, part: i },
            "a part left FFmpeg's list before it was read; it is not published",
          );
          continue;
        }
        const start =
          head.epoch !== undefined
            ? Math.round(head.epoch + head.elapsedMs)
            : (first.programDateTime ?? Date.now());
        head.elapsedMs += first.duration * 1000;
        await this.publishPart(head, perRendition, start);
      }
      if (!head.finished) return;
      // FFmpeg has exited: its last segment ends with its last part.
      if (this.state.open?.session === head.id && (await this.mayWrite())) {
        await this.closeOpen();
        await this.commit();
      }
      for (const w of head.watchers) w.close();
      this.sessions.shift();
      await rm(head.dir, { recursive: true, force: true });
    }
  }

  private async publishPart(
    feed: SessionFeed,
    parts: (SessionSegment | undefined)[],
    start: number,
  ): Promise<void> {
    // Checked before the moves: a successor publishes under the same numbers.
    if (!(await this.mayWrite())) return;
    const { job, hlsDir, vodDir } = this.options;
    const durations: Record<string, number> = {};
    const independent: Record<string, boolean> = {};
    for (const [i, r] of job.ladder.entries()) {
      const part = parts[i];
      if (!part) return;
      durations[r.name] = part.duration;
      independent[r.name] = startsWithKeyFrame(await readFile(join(feed.dir, r.name, part.uri)));
    }
    // A part that begins with a key frame begins a segment; so does a new session's first.
    const open = this.state.open;
    if (open && (open.session !== feed.id || opensSegment(independent))) await this.closeOpen();
    if (!feed.map) {
      const map = hlsLayout.init(job.broadcastId, this.state.nextSequence);
      for (const r of job.ladder) {
        await move(join(feed.dir, r.name, SESSION_INIT), join(hlsDir, r.name, map));
        if (job.record) await linkOrCopy(join(hlsDir, r.name, map), join(vodDir, r.name, map));
      }
      feed.map = map;
    }
    const next = appendPart(
      this.state,
      { durations, independent },
      { session: feed.id, map: feed.map, programDateTime: start },
    );
    // Move first, list second: a listed part is always there.
    for (const [i, r] of job.ladder.entries()) {
      const part = parts[i];
      if (part) await move(join(feed.dir, r.name, part.uri), join(hlsDir, r.name, next.added.file));
    }
    this.state = next.state;
    await this.commit();
    const top = job.ladder[0]?.name;
    if (top !== undefined)
      this.options.onPart?.({ map: feed.map, file: next.added.file, independent: independent[top] ?? false });
    if (!this.masterWritten) {
      await writeAtomic(
        join(hlsDir, MASTER),
        renderMasterPlaylist(job.ladder, job.frameRate, (name) => `${name}/${MEDIA}`),
      );
      this.masterWritten = true;
    }
  }

  /**
   * Writes the open segment's file (its parts joined) in every rendition and lists it in the
   * state; `commit` then publishes it.
   */
  private async closeOpen(): Promise<void> {
    const { job, hlsDir, vodDir } = this.options;
    const next = closeSegment(this.state, job.liveWindow, job.record);
    if (!next) return;
    let bytes = 0;
    for (const r of job.ladder) {
      const dir = join(hlsDir, r.name);
      const parts = await Promise.all(next.added.parts.map((p) => readFile(join(dir, p.file))));
      const segment = joinFragments(parts);
      await writeAtomic(join(dir, next.added.file), segment);
      bytes += segment.length;
      if (job.record) await linkOrCopy(join(dir, next.added.file), join(vodDir, r.name, next.added.file));
    }
    this.state = next.state;
    this.windowChanged = true;
    // Every close drops the parts of an older segment, and may retire one.
    this.closed = { segment: next.added, bytes, sweep: true };
  }

  /**
   * State before playlists: a successor must never reuse a number a playlist has shown. Files
   * are swept after the playlists no longer list them.
   */
  private async commit(): Promise<void> {
    await this.saveState();
    await this.writeMediaPlaylists();
    const closed = this.closed;
    this.closed = null;
    if (!closed) return;
    if (closed.sweep) await this.sweep();
    this.options.onSegment?.(closed.segment, closed.bytes);
  }

  private async writeMediaPlaylists(): Promise<void> {
    for (const r of this.options.job.ladder) {
      await writeAtomic(
        join(this.options.hlsDir, r.name, MEDIA),
        renderMediaPlaylist(this.state, r.name, this.cues),
      );
    }
  }

  private async saveState(): Promise<void> {
    await saveState(this.options.hlsDir, this.state, {
      recording: this.options.job.record && this.closed !== null,
      window: this.windowChanged,
    });
    this.windowChanged = false;
  }

  /**
   * Deletes live segment files that left the window a while ago (up to RETIRED_KEPT_SEGMENTS,
   * so players that loaded the previous playlist can still fetch them, without doubling the
   * disk use of a long DVR window) and the parts the state no longer keeps (unlisted since
   * they were three target durations old). Init segments stay: they are few and small.
   * Recorded segments survive as VOD hard links.
   */
  private async sweep(): Promise<void> {
    const { job, hlsDir } = this.options;
    const keepFrom = mediaSequence(this.state) - Math.min(Math.max(1, job.liveWindow), RETIRED_KEPT_SEGMENTS);
    const listedParts = new Set(
      [...this.state.live.flatMap((s) => s.parts), ...(this.state.open?.parts ?? [])].map((p) => p.file),
    );
    const segment = new RegExp(`^${job.broadcastId}-(\\d+)\\.m4s$`);
    const part = new RegExp(`^${job.broadcastId}-p(\\d+)\\.m4s$`);
    for (const r of job.ladder) {
      const files = await readdir(join(hlsDir, r.name)).catch(() => [] as string[]);
      for (const file of files) {
        const seq = segment.exec(file)?.[1];
        const old =
          (seq !== undefined && Number(seq) < keepFrom) ||
          (part.test(file) && !listedParts.has(file) && Number(part.exec(file)?.[1]) < this.state.nextPart);
        if (old) await removeQuietly(join(hlsDir, r.name, file));
      }
    }
  }
}
