import { hlsLayout, type Rendition } from '@stagecast/protocol';
import { h264Profile } from '../ffmpeg/h264.js';

/** One segment as FFmpeg's own (session) playlist lists it. */
export interface SessionSegment {
  uri: string;
  duration: number;
  /** ms since the epoch, from FFmpeg's EXT-X-PROGRAM-DATE-TIME. */
  programDateTime: number | null;
}

/** One segment of the public playlists; the same sequence number names it in every rendition. */
export interface PublicSegment {
  seq: number;
  /** File name inside each rendition directory (live and VOD). */
  file: string;
  /** Duration per rendition name (renditions of one FFmpeg run cut at the same key frames). */
  durations: Record<string, number>;
  /** ms since the epoch. */
  programDateTime: number;
  /** First segment of a new FFmpeg session: timestamps and encoder state restart here. */
  discontinuity: boolean;
  session: string;
}

/** Everything the public playlists are rendered from; persisted so a successor continues them. */
export interface PlaylistState {
  format: 1;
  roomId: string;
  broadcastId: string;
  nextSequence: number;
  discontinuitySequence: number;
  targetDuration: number;
  lastSession: string | null;
  /** Index in the last session's own playlist of its next segment (a successor adopting it resumes there). */
  lastSessionNext: number;
  /** The live window, oldest first. */
  live: PublicSegment[];
  /** Every segment, when recording. */
  recorded: PublicSegment[];
  ended: boolean;
}

/** Parses the playlist FFmpeg's hls muxer writes (only what we read from it). */
export function parseSessionPlaylist(text: string): { segments: SessionSegment[]; ended: boolean } {
  const segments: SessionSegment[] = [];
  let duration: number | null = null;
  let pdt: number | null = null;
  let ended = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) {
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
  return { segments, ended };
}

/** Segment names carry the broadcast id: an immutable URL never names two different files. */
export function segmentFileName(broadcastId: string, seq: number): string {
  return hlsLayout.segment(broadcastId, seq);
}

export function initialState(roomId: string, broadcastId: string, segmentSeconds: number): PlaylistState {
  return {
    format: 1,
    roomId,
    broadcastId,
    nextSequence: 0,
    discontinuitySequence: 0,
    targetDuration: Math.ceil(segmentSeconds),
    lastSession: null,
    lastSessionNext: 0,
    live: [],
    recorded: [],
    ended: false,
  };
}

export function mediaSequence(state: PlaylistState): number {
  return state.live[0]?.seq ?? state.nextSequence;
}

/**
 * Appends one segment (pure). Returns the new state, the segment as listed, and the segments
 * that slid out of the live window. Every segment that slides out with a discontinuity tag
 * bumps the discontinuity sequence, so the remaining segments keep their timeline number.
 */
export function appendSegment(
  state: PlaylistState,
  segment: { durations: Record<string, number>; programDateTime: number; session: string; index?: number },
  liveWindow: number,
  record: boolean,
): { state: PlaylistState; added: PublicSegment; retired: PublicSegment[] } {
  const added: PublicSegment = {
    seq: state.nextSequence,
    file: segmentFileName(state.broadcastId, state.nextSequence),
    durations: segment.durations,
    programDateTime: segment.programDateTime,
    discontinuity: state.lastSession !== null && state.lastSession !== segment.session,
    session: segment.session,
  };
  const live = [...state.live, added];
  const retired: PublicSegment[] = [];
  let discontinuitySequence = state.discontinuitySequence;
  while (live.length > Math.max(1, liveWindow)) {
    const gone = live.shift();
    if (!gone) break;
    if (gone.discontinuity) discontinuitySequence++;
    retired.push(gone);
  }
  const longest = Math.max(...Object.values(segment.durations), 0);
  return {
    state: {
      ...state,
      nextSequence: state.nextSequence + 1,
      discontinuitySequence,
      // EXTINF rounded must never exceed the target duration (RFC 8216 4.3.3.1).
      targetDuration: Math.max(state.targetDuration, Math.round(longest)),
      lastSession: segment.session,
      lastSessionNext:
        (segment.index ?? (state.lastSession === segment.session ? state.lastSessionNext : 0)) + 1,
      live,
      recorded: record ? [...state.recorded, added] : state.recorded,
    },
    added,
    retired,
  };
}

function segmentLines(segment: PublicSegment, rendition: string, withDiscontinuity: boolean): string[] {
  const duration = segment.durations[rendition] ?? Object.values(segment.durations)[0] ?? 0;
  return [
    ...(withDiscontinuity && segment.discontinuity ? ['#EXT-X-DISCONTINUITY'] : []),
    `#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`,
    `#EXTINF:${duration.toFixed(3)},`,
    segment.file,
  ];
}

/** The live media playlist of one rendition. */
export function renderMediaPlaylist(state: PlaylistState, rendition: string): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${state.targetDuration}`,
    `#EXT-X-MEDIA-SEQUENCE:${mediaSequence(state)}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${state.discontinuitySequence}`,
    ...state.live.flatMap((s) => segmentLines(s, rendition, true)),
  ];
  if (state.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** The recording of one rendition: every segment, VOD, ended. */
export function renderVodPlaylist(state: PlaylistState, rendition: string): string {
  const longest = Math.max(0, ...state.recorded.map((s) => Math.round(s.durations[rendition] ?? 0)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXT-X-TARGETDURATION:${Math.max(state.targetDuration, longest)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    // The first segment needs no discontinuity: nothing precedes it.
    ...state.recorded.flatMap((s, i) => segmentLines(s, rendition, i > 0)),
    '#EXT-X-ENDLIST',
  ];
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
    // Peak: the encoder's maxrate plus MPEG-TS overhead (~10%).
    const peak = Math.round(average * 1.1);
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${peak},AVERAGE-BANDWIDTH=${average},RESOLUTION=${r.width}x${r.height},` +
        `CODECS="${h264Profile(r, frameRate).codecs}",FRAME-RATE=${frameRate.toFixed(3)}`,
      uri(r.name),
    );
  }
  return lines.join('\n') + '\n';
}
