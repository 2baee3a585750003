import { hlsLayout, type Rendition } from '@stagecast/protocol';
import { h264Profile } from '../ffmpeg/h264.js';
import { dateRangeLines, type PlaylistCue } from './cues.js';

/** One segment as FFmpeg's own (session) playlist lists it: for us, one part. */
export interface SessionSegment {
  uri: string;
  duration: number;
  /** ms since the epoch, from FFmpeg's EXT-X-PROGRAM-DATE-TIME. */
  programDateTime: number | null;
}

/** One part (LL-HLS partial segment); the same file name in every rendition. */
export interface PublicPart {
  file: string;
  /** Duration per rendition name. */
  durations: Record<string, number>;
  /** Per rendition name: the part begins with a key frame (EXT-X-PART INDEPENDENT=YES). */
  independent: Record<string, boolean>;
}

/** One segment of the public playlists; the same sequence number names it in every rendition. */
export interface PublicSegment {
  seq: number;
  /** File name inside each rendition directory (live and VOD): its parts joined. */
  file: string;
  /** Duration per rendition name (renditions of one FFmpeg run cut at the same key frames). */
  durations: Record<string, number>;
  /** ms since the epoch. */
  programDateTime: number;
  /** First segment of a new FFmpeg session: timestamps and encoder state restart here. */
  discontinuity: boolean;
  session: string;
  /** The init segment (EXT-X-MAP) of the session that wrote it. */
  map: string;
  /** Its parts, while it is live (a recorded segment keeps none). */
  parts: PublicPart[];
}

/** The segment being written: what the playlists list after the last EXTINF. */
export type OpenSegment = Omit<PublicSegment, 'seq' | 'file' | 'durations'>;

/** Everything the public playlists are rendered from; persisted so a successor continues them. */
export interface PlaylistState {
  format: 2;
  roomId: string;
  broadcastId: string;
  nextSequence: number;
  /** Number of the next part: its name is the preload hint. */
  nextPart: number;
  discontinuitySequence: number;
  targetDuration: number;
  /** EXT-X-PART-INF PART-TARGET (s): the nominal part length, or the longest part listed. */
  partTarget: number;
  lastSession: string | null;
  /** The live window, oldest first. */
  live: PublicSegment[];
  /** The segment being written, if any. */
  open: OpenSegment | null;
  /** Every segment, when recording. */
  recorded: PublicSegment[];
  ended: boolean;
}

/** Parses the playlist FFmpeg's hls muxer writes (only what we read from it). */
export function parseSessionPlaylist(text: string): {
  /** Index in the session of the first part listed (FFmpeg lists a sliding window of them). */
  first: number;
  segments: SessionSegment[];
  ended: boolean;
} {
  const segments: SessionSegment[] = [];
  let first = 0;
  let duration: number | null = null;
  let pdt: number | null = null;
  let ended = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      first = Number.parseInt(line.slice(22), 10) || 0;
    } else if (line.startsWith('#EXTINF:')) {
      duration = Number.parseFloat(line.slice(8));
    } else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      // FFmpeg writes +0000 (no colon), which Date.parse does not take everywhere.
      const value = line.slice(25).replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
      const ms = Date.parse(value);
      pdt = Number.isNaN(ms) ? null : ms;
    } else if (line === '#EXT-X-ENDLIST') {
      ended = true;
    } else if (line !== '' && !line.startsWith('#')) {
      if (duration !== null && Number.isFinite(duration))
        segments.push({ uri: line, duration, programDateTime: pdt });
      duration = null;
      pdt = null;
    }
  }
  return { first, segments, ended };
}

export function initialState(
  roomId: string,
  broadcastId: string,
  segmentSeconds: number,
  partSeconds: number,
): PlaylistState {
  return {
    format: 2,
    roomId,
    broadcastId,
    nextSequence: 0,
    nextPart: 0,
    discontinuitySequence: 0,
    // EXTINF rounded to the nearest integer must not exceed it (RFC 8216 4.3.3.1), so 1.2 s
    // segments have a target of 1: classic players start three targets behind the edge.
    targetDuration: Math.max(1, Math.round(segmentSeconds)),
    partTarget: roundMs(partSeconds),
    lastSession: null,
    live: [],
    open: null,
    recorded: [],
    ended: false,
  };
}

export function mediaSequence(state: PlaylistState): number {
  return state.live[0]?.seq ?? state.nextSequence;
}

const roundMs = (seconds: number): number => Math.round(seconds * 1000) / 1000;
const longest = (durations: Record<string, number>): number => Math.max(0, ...Object.values(durations));

/** Whether a part opens a new segment: every rendition's part begins with a key frame. */
export function opensSegment(independent: Record<string, boolean>): boolean {
  const flags = Object.values(independent);
  return flags.length > 0 && flags.every(Boolean);
}

/**
 * Appends one part to the open segment, opening one (pure) when there is none. `opening` says
 * what a new segment starts with; it is ignored while one is open.
 */
export function appendPart(
  state: PlaylistState,
  part: Omit<PublicPart, 'file'>,
  opening: Pick<OpenSegment, 'session' | 'map' | 'programDateTime'>,
): { state: PlaylistState; added: PublicPart } {
  const added: PublicPart = { ...part, file: hlsLayout.part(state.broadcastId, state.nextPart) };
  const open: OpenSegment = state.open ?? {
    ...opening,
    discontinuity: state.lastSession !== null && state.lastSession !== opening.session,
    parts: [],
  };
  return {
    state: {
      ...state,
      nextPart: state.nextPart + 1,
      partTarget: Math.max(state.partTarget, roundMs(longest(part.durations))),
      lastSession: open.session,
      open: { ...open, parts: [...open.parts, added] },
    },
    added,
  };
}

/**
 * Closes the open segment (pure): it becomes the next segment of the live window. Returns the
 * new state, the segment as listed, and the segments that slid out of the live window. Every
 * segment that slides out with a discontinuity tag bumps the discontinuity sequence, so the
 * remaining segments keep their timeline number.
 */
export function closeSegment(
  state: PlaylistState,
  liveWindow: number,
  record: boolean,
): { state: PlaylistState; added: PublicSegment; retired: PublicSegment[] } | null {
  const open = state.open;
  if (!open) return null;
  const durations: Record<string, number> = {};
  for (const part of open.parts)
    for (const [name, d] of Object.entries(part.durations)) durations[name] = (durations[name] ?? 0) + d;
  const added: PublicSegment = {
    ...open,
    seq: state.nextSequence,
    file: hlsLayout.segment(state.broadcastId, state.nextSequence),
    durations,
  };
  const live = [...state.live, added];
  trimParts(live, state.targetDuration);
  const retired: PublicSegment[] = [];
  let discontinuitySequence = state.discontinuitySequence;
  while (live.length > Math.max(1, liveWindow)) {
    const gone = live.shift();
    if (!gone) break;
    if (gone.discontinuity) discontinuitySequence++;
    retired.push(gone);
  }
  return {
    state: {
      ...state,
      nextSequence: state.nextSequence + 1,
      discontinuitySequence,
      // EXTINF rounded must never exceed the target duration (RFC 8216 4.3.3.1).
      targetDuration: Math.max(state.targetDuration, Math.round(longest(durations))),
      live,
      open: null,
      recorded: record ? [...state.recorded, { ...added, parts: [] }] : state.recorded,
    },
    added,
    retired,
  };
}

const duration = (durations: Record<string, number>, rendition: string): number =>
  durations[rendition] ?? Object.values(durations)[0] ?? 0;

/**
 * Segments keep their parts while they end within this many target durations of the live
 * edge: twice the span the playlist lists them for, so a client that read the previous
 * playlist still finds the parts it names. Older parts are dropped from the state (a long DVR
 * window would otherwise keep every part twice, in the state file and on disk).
 */
export const PARTS_KEPT_TARGET_DURATIONS = 6;

/** Drops (in place) the parts of the segments past the kept span, newest first. */
function trimParts(live: PublicSegment[], targetDuration: number): void {
  let fromEnd = 0;
  for (let i = live.length - 1; i >= 0; i--) {
    const s = live[i];
    if (!s) continue;
    if (fromEnd >= PARTS_KEPT_TARGET_DURATIONS * targetDuration) {
      if (s.parts.length === 0) break; // older ones were trimmed before
      live[i] = { ...s, parts: [] };
    }
    fromEnd += longest(s.durations);
  }
}

/** Tags before a segment's media: discontinuity, a new init segment, its wall-clock time. */
function headLines(
  segment: OpenSegment,
  withDiscontinuity: boolean,
  previousMap: string | undefined,
): string[] {
  return [
    ...(withDiscontinuity && segment.discontinuity ? ['#EXT-X-DISCONTINUITY'] : []),
    ...(segment.map !== previousMap ? [`#EXT-X-MAP:URI="${segment.map}"`] : []),
    `#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`,
  ];
}

function partLines(parts: readonly PublicPart[], rendition: string): string[] {
  return parts.map(
    (p) =>
      `#EXT-X-PART:DURATION=${duration(p.durations, rendition).toFixed(3)},URI="${p.file}"` +
      (p.independent[rendition] ? ',INDEPENDENT=YES' : ''),
  );
}

const fixed = (n: number): string => String(roundMs(n));

/**
 * A listed segment's date, duration and URI never change: with a DVR window of hundreds of
 * segments rendered for every part in every rendition, formatting them once is most of the
 * writer's saving. Keyed by the segment object (a successor's loaded state formats anew).
 */
const bodies = new WeakMap<PublicSegment, Map<string, string>>();

function segmentBody(s: PublicSegment, rendition: string): string {
  let byRendition = bodies.get(s);
  if (!byRendition) {
    byRendition = new Map();
    bodies.set(s, byRendition);
  }
  let body = byRendition.get(rendition);
  if (body === undefined) {
    body =
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}\n` +
      `#EXTINF:${duration(s.durations, rendition).toFixed(3)},\n${s.file}`;
    byRendition.set(rendition, body);
  }
  return body;
}

/**
 * The live media playlist of one rendition, LL-HLS: the parts of the segments within the last
 * three target durations before each one's EXTINF, the open segment's parts at the end, and
 * the next part's name as the preload hint. Classic clients skip the LL tags.
 */
export function renderMediaPlaylist(
  state: PlaylistState,
  rendition: string,
  cues: readonly PlaylistCue[] = [],
): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    `#EXT-X-TARGETDURATION:${state.targetDuration}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${fixed(3 * state.partTarget)},` +
      `CAN-SKIP-UNTIL=${6 * state.targetDuration}`,
    `#EXT-X-PART-INF:PART-TARGET=${fixed(state.partTarget)}`,
    `#EXT-X-MEDIA-SEQUENCE:${mediaSequence(state)}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${state.discontinuitySequence}`,
  ];
  // A cue stays while its time is within the window: players map it onto the segments' dates.
  const windowStart = (state.live[0] ?? state.open)?.programDateTime;
  if (windowStart !== undefined) lines.push(...dateRangeLines(cues, windowStart));
  // Parts are listed for the segments that end within the last three target durations.
  const withParts = new Set<number>();
  let fromEnd = (state.open?.parts ?? []).reduce((sum, p) => sum + duration(p.durations, rendition), 0);
  for (let i = state.live.length - 1; i >= 0 && fromEnd < 3 * state.targetDuration; i--) {
    withParts.add(i);
    fromEnd += duration(state.live[i]?.durations ?? {}, rendition);
  }
  let map: string | undefined;
  state.live.forEach((s, i) => {
    if (withParts.has(i)) {
      lines.push(
        ...headLines(s, true, map),
        ...partLines(s.parts, rendition),
        `#EXTINF:${duration(s.durations, rendition).toFixed(3)},`,
        s.file,
      );
    } else {
      if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
      if (s.map !== map) lines.push(`#EXT-X-MAP:URI="${s.map}"`);
      lines.push(segmentBody(s, rendition));
    }
    map = s.map;
  });
  if (state.open) lines.push(...headLines(state.open, true, map), ...partLines(state.open.parts, rendition));
  if (state.ended) lines.push('#EXT-X-ENDLIST');
  else lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${hlsLayout.part(state.broadcastId, state.nextPart)}"`);
  return lines.join('\n') + '\n';
}

/** The recording of one rendition: every segment, VOD, ended; no parts. */
export function renderVodPlaylist(
  state: PlaylistState,
  rendition: string,
  cues: readonly PlaylistCue[] = [],
): string {
  const top = Math.max(0, ...state.recorded.map((s) => Math.round(s.durations[rendition] ?? 0)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6', // EXT-X-MAP in a playlist of whole segments
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXT-X-TARGETDURATION:${Math.max(state.targetDuration, top)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    // Every cue of the broadcast: one sent before the first segment still belongs to it.
    ...dateRangeLines(cues, 0),
  ];
  let map: string | undefined;
  state.recorded.forEach((s, i) => {
    // The first segment needs no discontinuity: nothing precedes it.
    lines.push(
      ...headLines(s, i > 0, map),
      `#EXTINF:${duration(s.durations, rendition).toFixed(3)},`,
      s.file,
    );
    map = s.map;
  });
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/**
 * The master playlist. FFmpeg's playlists carry no CODECS, so they are written here from the
 * profile and level each rendition is encoded with.
 */
export function renderMasterPlaylist(
  ladder: readonly Rendition[],
  frameRate: number,
  uri: (rendition: string) => string,
): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of ladder) {
    const average = (r.videoKbps + r.audioKbps) * 1000;
    // Peak: the encoder's maxrate plus the rate control's swing within a segment (~10%).
    const peak = Math.round(average * 1.1);
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${peak},AVERAGE-BANDWIDTH=${average},RESOLUTION=${r.width}x${r.height},` +
        `CODECS="${h264Profile(r, frameRate).codecs}",FRAME-RATE=${frameRate.toFixed(3)}`,
      uri(r.name),
    );
  }
  return lines.join('\n') + '\n';
}
