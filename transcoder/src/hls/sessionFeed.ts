import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rendition } from '@stagecast/protocol';
import { SESSION_PLAYLIST } from '../ffmpeg/buildFfmpegArgs.js';
import { parseSessionPlaylist, type SessionSegment } from './playlist.js';

/** One FFmpeg session's staging directory, as the PlaylistWriter reads it. */
export interface SessionFeed {
  id: string;
  dir: string;
  /** Public name of the session's init segment, once its first part is published. */
  map: string | undefined;
  /** Announce FFmpeg's playlist updates, so a part is listed as soon as it is complete. */
  watchers: FSWatcher[];
  /** Parts of this session already handled (listed or dropped). */
  consumed: number;
  finished: boolean;
  /**
   * Wall time (ms) of the session's media time 0, when known: PROGRAM-DATE-TIME is then this
   * plus the segment's place in the session, the capture clock. FFmpeg's own is the time its
   * muxer started, which a busy start makes late.
   */
  epoch: number | undefined;
  /** Media time (ms) of the next part, counted from the session's first. */
  elapsedMs: number;
}

/** FFmpeg's lists of a session's recent parts, per rendition, and how many parts all of them completed. */
export interface ReadyParts {
  count: number;
  lists: { first: number; segments: SessionSegment[] }[];
}

/** A new session's feed; `changed` runs on each update of FFmpeg's playlist in any rendition. */
export function openSessionFeed(
  id: string,
  dir: string,
  epoch: number | undefined,
  ladder: readonly Rendition[],
  changed: () => void,
): SessionFeed {
  const watchers: FSWatcher[] = [];
  for (const r of ladder) {
    try {
      const watcher = watch(join(dir, r.name), (_event, file) => {
        if (file === SESSION_PLAYLIST) changed();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // No directory (yet): the periodic poll still finds the parts.
    }
  }
  return { id, dir, map: undefined, watchers, consumed: 0, finished: false, epoch, elapsedMs: 0 };
}

/** Reads FFmpeg's list of the session's recent parts in every rendition (ladder order). */
export async function readyParts(feed: SessionFeed, ladder: readonly Rendition[]): Promise<ReadyParts> {
  const lists = await Promise.all(
    ladder.map(async (r) => {
      const text = await readFile(join(feed.dir, r.name, SESSION_PLAYLIST), 'utf8').catch(() => '');
      return parseSessionPlaylist(text);
    }),
  );
  return { count: Math.min(...lists.map((l) => l.first + l.segments.length)), lists };
}
