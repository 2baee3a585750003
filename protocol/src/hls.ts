/** URL paths of the HLS origin; the same relative layout is used on disk. */
export const hlsPaths = {
  /** Live master playlist of a room. */
  master: (roomId: string) => `/hls/${roomId}/master.m3u8`,
  /** Live media playlist of one rendition. */
  media: (roomId: string, rendition: string) => `/hls/${roomId}/${rendition}/index.m3u8`,
  /** Recording of one broadcast. */
  vodMaster: (roomId: string, broadcastId: string) => `/vod/${roomId}/${broadcastId}/master.m3u8`,
};

/** Ids that are safe as one path segment: no dots, slashes or other surprises. */
export const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value);
}
