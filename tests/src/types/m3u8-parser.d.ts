// The subset of m3u8-parser's output the tests read (the package ships no types).
declare module 'm3u8-parser' {
  export interface ParsedSegment {
    uri: string;
    duration: number;
    /** ms since the epoch, from EXT-X-PROGRAM-DATE-TIME. */
    programDateTime?: number;
    /** Present (true) on segments preceded by EXT-X-DISCONTINUITY. */
    discontinuity?: boolean;
    /** Discontinuity sequence number of the segment. */
    timeline: number;
    /** The init segment (EXT-X-MAP) it is decoded after (fMP4). */
    map?: { uri: string };
  }
  export interface ParsedVariant {
    uri: string;
    attributes: {
      BANDWIDTH?: number;
      RESOLUTION?: { width: number; height: number };
      CODECS?: string;
      'FRAME-RATE'?: number;
    };
  }
  export interface Manifest {
    endList?: boolean;
    mediaSequence?: number;
    discontinuitySequence?: number;
    playlistType?: string;
    targetDuration?: number;
    segments: ParsedSegment[];
    playlists?: ParsedVariant[];
  }
  export class Parser {
    manifest: Manifest;
    push(chunk: string): void;
    end(): void;
  }
}
