import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isNotFound, writeAtomic } from '../core/fsUtil.js';
import type { PlaylistCue } from './cues.js';
import type { PlaylistState, PublicSegment } from './playlist.js';

/** Name of the persisted state, next to the public playlists (dot-files are never served). */
export const STATE_FILE = '.playlist-state.json';
/**
 * The recorded segments, apart from the state: the state is rewritten on every part, the
 * recording (which grows all broadcast long) only when a segment is added to it.
 */
export const RECORDING_FILE = '.playlist-recording.json';
/**
 * The live window, apart from the state for the same reason: with a DVR window it lists
 * hundreds of segments but changes only when a segment closes, not on every part.
 */
export const WINDOW_FILE = '.playlist-window.json';

interface SavedWindow {
  broadcastId: string;
  live: PublicSegment[];
  discontinuitySequence: number;
}

function isWindow(value: unknown, broadcastId: string): value is SavedWindow {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<SavedWindow>;
  return (
    v.broadcastId === broadcastId && Array.isArray(v.live) && typeof v.discontinuitySequence === 'number'
  );
}

/** The broadcast's cues: rewritten only when a cue arrives. */
export const CUES_FILE = '.playlist-cues.json';

function isState(value: unknown): value is PlaylistState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PlaylistState>;
  return (
    v.format === 2 &&
    typeof v.broadcastId === 'string' &&
    typeof v.nextSequence === 'number' &&
    typeof v.nextPart === 'number' &&
    typeof v.partTarget === 'number' &&
    Array.isArray(v.live)
  );
}

/** The persisted state of this broadcast with its recording, or null (none, or another broadcast's). */
export async function loadState(
  hlsDir: string,
  broadcastId: string,
  logger: Logger,
): Promise<PlaylistState | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(hlsDir, STATE_FILE), 'utf8'));
    if (!isState(parsed) || parsed.broadcastId !== broadcastId) return null;
    const recorded: unknown = JSON.parse(
      await readFile(join(hlsDir, RECORDING_FILE), 'utf8').catch(() => '[]'),
    );
    // The recording and the window are saved first: they may hold a segment the state never
    // got to (its parts are still the state's open segment, which a successor closes again).
    const next = parsed.nextSequence;
    const window: unknown = JSON.parse(await readFile(join(hlsDir, WINDOW_FILE), 'utf8').catch(() => 'null'));
    // A state written before the window had its own file still carries it.
    const live = isWindow(window, broadcastId)
      ? {
          live: window.live.filter((s) => s.seq < next),
          discontinuitySequence: window.discontinuitySequence,
        }
      : {};
    return {
      ...parsed,
      ...live,
      recorded: Array.isArray(recorded) ? (recorded as PublicSegment[]).filter((s) => s.seq < next) : [],
    };
  } catch (error) {
    if (!isNotFound(error)) logger.warn({ err: error }, 'unreadable playlist state; starting afresh');
    return null;
  }
}

/** What changed besides the per-part state, so only that is written again. */
export interface StateChanges {
  recording: boolean;
  window: boolean;
}

/** Saves the state; the recording and the live window too when they changed. */
export async function saveState(hlsDir: string, state: PlaylistState, changed: StateChanges): Promise<void> {
  if (changed.recording) await writeAtomic(join(hlsDir, RECORDING_FILE), JSON.stringify(state.recorded));
  if (changed.window) {
    const window: SavedWindow = {
      broadcastId: state.broadcastId,
      live: state.live,
      discontinuitySequence: state.discontinuitySequence,
    };
    await writeAtomic(join(hlsDir, WINDOW_FILE), JSON.stringify(window));
  }
  await writeAtomic(join(hlsDir, STATE_FILE), JSON.stringify({ ...state, recorded: [], live: [] }));
}

/** A new broadcast: the previous one's recording list is not carried over. */
export async function clearRecording(hlsDir: string): Promise<void> {
  await rm(join(hlsDir, RECORDING_FILE), { force: true });
}

function isCue(value: unknown): value is PlaylistCue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PlaylistCue>;
  return typeof v.id === 'string' && typeof v.name === 'string' && typeof v.at === 'number' && 'payload' in v;
}

/** The cues of this broadcast written so far; none for another broadcast's (or no) file. */
export async function loadCues(hlsDir: string, broadcastId: string): Promise<PlaylistCue[]> {
  try {
    const parsed = JSON.parse(await readFile(join(hlsDir, CUES_FILE), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return [];
    const file = parsed as { broadcastId?: unknown; cues?: unknown };
    if (file.broadcastId !== broadcastId || !Array.isArray(file.cues)) return [];
    return file.cues.filter(isCue);
  } catch {
    return [];
  }
}

export async function saveCues(
  hlsDir: string,
  broadcastId: string,
  cues: readonly PlaylistCue[],
): Promise<void> {
  await writeAtomic(join(hlsDir, CUES_FILE), JSON.stringify({ broadcastId, cues }));
}
