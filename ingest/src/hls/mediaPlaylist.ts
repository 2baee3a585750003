/**
 * A live media playlist as the origin keeps it in memory: the writer's text cut into a header,
 * one block of lines per complete segment and the in-progress tail, plus the few numbers the
 * delivery directives are decided on (RFC 8216bis §6.2.5). The origin never looks inside media;
 * it only re-assembles these lines, so anything it does not know passes through unchanged.
 */

/** One complete segment: its lines (tags, parts, EXTINF) ending with its URI. */
export interface PlaylistSegment {
  msn: number;
  /** Seconds, from EXTINF. */
  duration: number;
  /** Parts listed for it (0 once the writer dropped them for older segments). */
  parts: number;
  lines: string[];
}

export interface MediaPlaylist {
  /** Lines before the first segment (EXTM3U, VERSION, TARGETDURATION, SERVER-CONTROL, MAP…). */
  header: string[];
  targetDuration: number;
  /** PART-TARGET in seconds, when the playlist has parts (LL-HLS). */
  partTarget: number | undefined;
  /** CAN-SKIP-UNTIL in seconds, when delta updates may be offered. */
  canSkipUntil: number | undefined;
  mediaSequence: number;
  segments: PlaylistSegment[];
  /** The in-progress segment's part lines (after the last EXTINF), hint excluded. */
  tail: string[];
  /** Parts of the in-progress segment, whose sequence number is the last segment's plus one. */
  tailParts: number;
  /** URI of EXT-X-PRELOAD-HINT TYPE=PART: the next part, not yet written. */
  preloadHint: string | undefined;
  ended: boolean;
}

/** A place in the stream: segment `msn`, part `part` of it. */
export interface PartPosition {
  msn: number;
  part: number;
}

const ATTRIBUTE = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;

/** Attributes of an attribute-list tag, quotes removed. */
export function attributes(line: string): Map<string, string> {
  const list = line.slice(line.indexOf(':') + 1);
  const out = new Map<string, string>();
  for (const [, key, value] of list.matchAll(ATTRIBUTE))
    if (key !== undefined && value !== undefined) out.set(key, value.replace(/^"|"$/g, ''));
  return out;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Tags that belong to the segment after them, wherever they stand once a segment began. */
const SEGMENT_TAG =
  /^#EXT(INF|-X-(PART|PROGRAM-DATE-TIME|DISCONTINUITY|MAP|BYTERANGE|KEY|GAP|BITRATE|DATERANGE))(:|$)/;

/**
 * Parses a media playlist; null when the text is not one (empty, torn or a master playlist).
 * Rendition reports are dropped: the origin writes its own, from memory.
 */
export function parseMediaPlaylist(text: string): MediaPlaylist | null {
  const lines = text.split('\n').map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') return null;
  const header: string[] = [];
  const segments: PlaylistSegment[] = [];
  let block: string[] = [];
  let blockParts = 0;
  let duration: number | undefined;
  let targetDuration: number | undefined;
  let partTarget: number | undefined;
  let canSkipUntil: number | undefined;
  let mediaSequence = 0;
  let preloadHint: string | undefined;
  let ended = false;
  for (const line of lines) {
    if (line === '' || line.startsWith('#EXT-X-RENDITION-REPORT')) continue;
    if (line === '#EXT-X-ENDLIST') {
      ended = true;
    } else if (line.startsWith('#EXT-X-PRELOAD-HINT:')) {
      const hint = attributes(line);
      if (hint.get('TYPE') === 'PART') preloadHint = hint.get('URI');
    } else if (!line.startsWith('#')) {
      if (duration === undefined) return null;
      block.push(line);
      segments.push({ msn: mediaSequence + segments.length, duration, parts: blockParts, lines: block });
      block = [];
      blockParts = 0;
      duration = undefined;
    } else if (SEGMENT_TAG.test(line) || block.length > 0 || segments.length > 0) {
      if (line.startsWith('#EXTINF:')) duration = seconds(line.slice(8).split(',')[0]);
      if (line.startsWith('#EXT-X-PART:')) blockParts += 1;
      block.push(line);
    } else {
      header.push(line);
      if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = seconds(line.slice(22));
      else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22)) || 0;
      else if (line.startsWith('#EXT-X-PART-INF:')) partTarget = seconds(attributes(line).get('PART-TARGET'));
      else if (line.startsWith('#EXT-X-SERVER-CONTROL:'))
        canSkipUntil = seconds(attributes(line).get('CAN-SKIP-UNTIL'));
    }
  }
  if (targetDuration === undefined || targetDuration <= 0) return null;
  return {
    header,
    targetDuration,
    partTarget,
    canSkipUntil,
    mediaSequence,
    segments,
    tail: block,
    tailParts: blockParts,
    preloadHint,
    ended,
  };
}

/** Sequence number of the in-progress segment (the one the tail's parts belong to). */
function tailMsn(playlist: MediaPlaylist): number {
  return playlist.mediaSequence + playlist.segments.length;
}

/**
 * The last part in the playlist, or the last segment with part -1 when it has no parts (a
 * playlist without LL-HLS, or a segment just closed with its parts not listed).
 */
export function lastPosition(playlist: MediaPlaylist): PartPosition {
  if (playlist.tailParts > 0) return { msn: tailMsn(playlist), part: playlist.tailParts - 1 };
  const last = playlist.segments.at(-1);
  if (!last) return { msn: playlist.mediaSequence - 1, part: -1 };
  return { msn: last.msn, part: last.parts - 1 };
}

/**
 * Whether the playlist answers a blocking reload for segment `msn` (complete) or, with `part`,
 * for that part of it or anything later. A part index past the segment's last part means part
 * 0 of the next segment (§6.2.5.2).
 */
export function satisfies(playlist: MediaPlaylist, msn: number, part: number | undefined): boolean {
  const lastComplete = tailMsn(playlist) - 1;
  if (part === undefined || msn < lastComplete) return msn <= lastComplete;
  if (msn === lastComplete) {
    const segment = playlist.segments.at(-1);
    return (segment !== undefined && part < segment.parts) || playlist.tailParts > 0;
  }
  return msn === tailMsn(playlist) && part < playlist.tailParts;
}

/**
 * Why a directive is refused at once (§6.2.5.2: more than two segments past the last one, or
 * a part further ahead than the Advance Part Limit), or null when it may wait.
 */
export function tooFarAhead(playlist: MediaPlaylist, msn: number, part: number | undefined): string | null {
  const last = lastPosition(playlist);
  if (msn > last.msn + 2) return `Segment ${msn} is more than two segments past the last one (${last.msn})`;
  if (part !== undefined && msn === last.msn && playlist.partTarget !== undefined) {
    const limit = playlist.partTarget < 1 ? Math.ceil(3 / playlist.partTarget) : 3;
    if (part > last.part + limit)
      return `Part ${part} of segment ${msn} is more than ${limit} parts past the last one (${last.part})`;
  }
  return null;
}

/** EXT-X-RENDITION-REPORT for another rendition, from what the origin holds of it. */
export function renditionReport(uri: string, playlist: MediaPlaylist): string {
  const last = lastPosition(playlist);
  const part = last.part >= 0 ? `,LAST-PART=${last.part}` : '';
  return `#EXT-X-RENDITION-REPORT:URI="${uri}",LAST-MSN=${last.msn}${part}`;
}

/** How many leading segments a delta update leaves out: those wholly past the Skip Boundary. */
export function skippableSegments(playlist: MediaPlaylist): number {
  if (playlist.canSkipUntil === undefined || playlist.ended) return 0;
  let after = 0;
  let skippable = 0;
  for (let i = playlist.segments.length - 1; i >= 0; i--) {
    if (after > playlist.canSkipUntil) {
      skippable = i + 1;
      break;
    }
    after += playlist.segments[i]?.duration ?? 0;
  }
  return skippable;
}

export interface RenderOptions {
  /** Answer with a Playlist Delta Update (`_HLS_skip=YES|v2`) when segments can be skipped. */
  skip: boolean;
  /** EXT-X-RENDITION-REPORT lines, appended last. */
  reports: string[];
}

/**
 * The playlist as served: the writer's lines, older segments replaced by EXT-X-SKIP for a
 * delta update (§6.2.5.1), and the rendition reports.
 */
export function renderMediaPlaylist(playlist: MediaPlaylist, options: RenderOptions): string {
  const skipped = options.skip ? skippableSegments(playlist) : 0;
  const out = [...playlist.header];
  if (skipped > 0) {
    out.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
    // A MAP among the skipped lines still applies to the segments kept after them.
    const map = playlist.segments
      .slice(0, skipped)
      .flatMap((s) => s.lines)
      .findLast((l) => l.startsWith('#EXT-X-MAP:'));
    const firstKept = playlist.segments[skipped]?.lines ?? [];
    if (map !== undefined && !firstKept.some((l) => l.startsWith('#EXT-X-MAP:'))) out.push(map);
  }
  for (const segment of playlist.segments.slice(skipped)) out.push(...segment.lines);
  out.push(...playlist.tail);
  if (playlist.preloadHint !== undefined && !playlist.ended)
    out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${playlist.preloadHint}"`);
  if (playlist.ended) out.push('#EXT-X-ENDLIST');
  out.push(...options.reports);
  return `${out.join('\n')}\n`;
}
