import { CUE_DATERANGE_CLASS, type Cue } from '@stagecast/protocol';

/** A cue in the playlists: what its EXT-X-DATERANGE tag carries. */
export type PlaylistCue = Pick<Cue, 'id' | 'name' | 'payload' | 'at'>;

/**
 * EXT-X-DATERANGE tags of the cues at or after `from` (ms), oldest first. The payload is
 * base64 of its JSON: an attribute's quoted string may hold no double quote or line break.
 * Ids and names are restricted to characters that need no escaping (see the protocol).
 */
export function dateRangeLines(cues: readonly PlaylistCue[], from: number): string[] {
  return [...cues]
    .filter((cue) => cue.at >= from)
    .sort((a, b) => a.at - b.at)
    .map(
      (cue) =>
        `#EXT-X-DATERANGE:ID="${cue.id}",CLASS="${CUE_DATERANGE_CLASS}",` +
        `START-DATE="${new Date(cue.at).toISOString()}",X-NAME="${cue.name}",` +
        `X-PAYLOAD="${Buffer.from(JSON.stringify(cue.payload), 'utf8').toString('base64')}"`,
    );
}
