/**
 * The HLS layout, described once for the transcoder that writes it and the ingest origin that
 * serves it. On disk, paths are relative to the data directory; the origin's URLs use the same
 * folders, so a file's URL path is `/` + its path on disk.
 */
export const hlsLayout = {
  /** Live HLS, one folder per room. */
  liveRoot: 'hls',
  /** Recordings, one folder per room and, in it, per broadcast. */
  recordingsRoot: 'vod',
  /** A room's live folder: the master playlist and one folder per rendition. */
  liveDir: (roomId: string) => `hls/${roomId}`,
  /** One broadcast's recording: the same shape as a live folder. */
  recordingDir: (roomId: string, broadcastId: string) => `vod/${roomId}/${broadcastId}`,
  /** The master playlist, at the top of a live or recording folder. */
  master: 'master.m3u8',
  /** A rendition's media playlist, in `<folder>/<rendition>/`. */
  media: 'index.m3u8',
  /**
   * A segment (fMP4), next to its media playlist. The broadcast id keeps an immutable URL from
   * ever naming two files.
   */
  segment: (broadcastId: string, sequence: number) => `${broadcastId}-${sequence}.m4s`,
  /**
   * A part (LL-HLS partial segment) of the live playlist, numbered across the broadcast, so the
   * next part's name is known before FFmpeg has written it (EXT-X-PRELOAD-HINT).
   */
  part: (broadcastId: string, number: number) => `${broadcastId}-p${number}.m4s`,
  /** The init segment (EXT-X-MAP) of one FFmpeg run, named after that run's first segment. */
  init: (broadcastId: string, sequence: number) => `${broadcastId}-init${sequence}.mp4`,
};

/** URL paths of the HLS origin. */
export const hlsPaths = {
  /** Live master playlist of a room. */
  master: (roomId: string) => `/${hlsLayout.liveDir(roomId)}/${hlsLayout.master}`,
  /** Live media playlist of one rendition. */
  media: (roomId: string, rendition: string) =>
    `/${hlsLayout.liveDir(roomId)}/${rendition}/${hlsLayout.media}`,
  /** Recording of one broadcast. */
  vodMaster: (roomId: string, broadcastId: string) =>
    `/${hlsLayout.recordingDir(roomId, broadcastId)}/${hlsLayout.master}`,
};

/** Ids that are safe as one path segment: no dots, slashes or other surprises. */
export const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value);
}
