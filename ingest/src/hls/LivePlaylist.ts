import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../core/logger.js';
import { parseMediaPlaylist, type MediaPlaylist } from './mediaPlaylist.js';

/** Why a wait ended without the playlist getting there. */
export type WaitEnd = 'timeout' | 'aborted' | 'closed';

interface Waiter {
  ready: (playlist: MediaPlaylist) => boolean;
  done: (result: MediaPlaylist | WaitEnd) => void;
}

/**
 * One rendition's live media playlist, held in memory and refreshed from disk when the writer
 * renames a new version into place (fs.watch), with a slow poll of its inode and mtime in case
 * a watch event is lost. Held requests wait in one list per playlist and are checked only when
 * the playlist changes: a thousand waiting clients cost no work between two parts.
 */
export class LivePlaylist {
  private current: MediaPlaylist | null = null;
  private watcher: FSWatcher | null = null;
  private readonly poll: NodeJS.Timeout;
  private readonly waiters = new Set<Waiter>();
  private fingerprint = '';
  private reading: Promise<void> | null = null;
  private again = false;
  private closed = false;
  /** The first read (start-up or a request before it finished) is awaited through this. */
  readonly loaded: Promise<void>;
  /** ms since the epoch of the last request for this playlist; the owner drops idle ones. */
  lastUsed = Date.now();

  constructor(
    readonly file: string,
    pollMs: number,
    private readonly logger: Logger,
    /** Called after each change, once the waiters were answered. */
    private readonly onChange: () => void,
  ) {
    this.poll = setInterval(() => this.check(), pollMs);
    this.poll.unref();
    this.watchDir();
    this.loaded = this.refresh();
  }

  get playlist(): MediaPlaylist | null {
    return this.current;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Resolves with the playlist as soon as `ready` holds for it (at once if it already does),
   * or with why it did not within `timeoutMs`.
   */
  waitFor(
    ready: (playlist: MediaPlaylist) => boolean,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<MediaPlaylist | WaitEnd> {
    if (this.current && ready(this.current)) return Promise.resolve(this.current);
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const finish = (result: MediaPlaylist | WaitEnd) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolve(result);
      };
      const waiter: Waiter = { ready, done: finish };
      const onAbort = () => finish('aborted');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      signal.addEventListener('abort', onAbort);
      this.waiters.add(waiter);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    this.watcher?.close();
    this.watcher = null;
    for (const waiter of [...this.waiters]) waiter.done('closed');
  }

  private watchDir(): void {
    if (this.watcher || this.closed) return;
    const name = basename(this.file);
    try {
      // The writer renames a temporary file onto the playlist: a `rename` event names it.
      this.watcher = watch(dirname(this.file), (_event, changed) => {
        if (changed === null || changed === name) void this.refresh();
      });
      this.watcher.on('error', () => {
        // The folder went away (a room deleted, a broadcast's files removed): the poll
        // notices when it comes back and watches it again.
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null;
    }
  }

  /** The fallback: one stat per poll, a read only when the file changed. */
  private check(): void {
    this.watchDir();
    void stat(this.file).then(
      (info) => {
        if (`${info.ino}:${info.mtimeMs}:${info.size}` !== this.fingerprint) void this.refresh();
      },
      () => {
        if (this.fingerprint !== '') void this.refresh();
      },
    );
  }

  /** Reads the file again; a change arriving during a read is read right after it. */
  private refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.read().finally(() => {
      this.reading = null;
      if (this.again && !this.closed) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    let text: string;
    let fingerprint: string;
    try {
      const info = await stat(this.file);
      fingerprint = `${info.ino}:${info.mtimeMs}:${info.size}`;
      if (fingerprint === this.fingerprint) return;
      text = await readFile(this.file, 'utf8');
    } catch {
      // The writer replaces the file by a rename, so it never goes missing in between: gone
      // means deleted (the room or its broadcast's files), and so is the playlist.
      this.fingerprint = '';
      this.current = null;
      return;
    }
    if (this.closed) return;
    const parsed = parseMediaPlaylist(text);
    if (!parsed) {
      this.logger.warn({ file: this.file }, 'not a media playlist; keeping the previous one');
      return;
    }
    this.fingerprint = fingerprint;
    this.current = parsed;
    for (const waiter of [...this.waiters]) if (waiter.ready(parsed)) waiter.done(parsed);
    this.onChange();
  }
}
