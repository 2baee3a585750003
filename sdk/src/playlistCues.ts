import type { DateRange } from 'hls.js';
import { CUE_DATERANGE_CLASS, type Cue, type CueJson } from '@stagecast/protocol';

/** One EXT-X-DATERANGE tag of a playlist, as the player read it. */
export interface PlaylistDateRange {
  id: string;
  class: string;
  /** START-DATE, ms since the epoch. */
  startDate: number;
  /** Every attribute, by name (X-… included), unquoted. */
  attributes: Record<string, string>;
}

/** What a cue says, wherever it was read: the socket (a whole `Cue`) or a playlist. */
export type CueMark = Pick<Cue, 'id' | 'name' | 'payload' | 'at'>;

/** The cue a Stagecast DATERANGE tag carries, or null for any other tag (or a broken one). */
export function cueOfDateRange(range: PlaylistDateRange): CueMark | null {
  if (range.class !== CUE_DATERANGE_CLASS || !Number.isFinite(range.startDate)) return null;
  const name = range.attributes['X-NAME'];
  const encoded = range.attributes['X-PAYLOAD'];
  if (!name || encoded === undefined) return null;
  try {
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as CueJson;
    return { id: range.id, name, payload, at: range.startDate };
  } catch {
    return null;
  }
}

/** hls.js's parsed EXT-X-DATERANGE tags of a playlist, as plain data. */
export function readDateRanges(ranges: Record<string, DateRange | undefined>): PlaylistDateRange[] {
  return Object.values(ranges).flatMap((r) =>
    r
      ? [
          {
            id: r.id,
            class: r.class,
            startDate: r.startDate.getTime(),
            attributes: Object.fromEntries(
              Object.entries(r.attr).map(([k, v]) => [k, String(v).replace(/^"|"$/g, '')]),
            ),
          },
        ]
      : [],
  );
}
