export { startTranscoder, Transcoder, WORKER_TIMINGS, type TranscoderOptions } from './Transcoder.js';
export { configFromEnv, type TranscoderConfig } from './config.js';
export { buildFfmpegArgs, buildFilterGraph, buildLabels, compositeSize, sessionPaths, type FfmpegJobSettings, type SessionPaths } from './buildFfmpegArgs.js';
export { buildSdp } from './buildSdp.js';
export { computeLayout, layoutKey, MAX_TILES, type Layout, type Rect, type TileBox } from './computeLayout.js';
export { h264Profile, type H264Profile } from './h264.js';
export {
  appendSegment,
  initialState,
  parseSessionPlaylist,
  renderMasterPlaylist,
  renderMediaPlaylist,
  renderVodPlaylist,
  segmentFileName,
  type PlaylistState,
  type PublicSegment,
} from './playlist.js';
export { PlaylistWriter, STATE_FILE, type PlaylistWriterOptions } from './PlaylistWriter.js';
export { CompositeSession, type CompositeSessionOptions } from './CompositeSession.js';
export { CompositeJob, type CompositeJobOptions } from './CompositeJob.js';
export { JOB_TIMINGS } from './jobTimings.js';
export { IngestLink } from './IngestLink.js';
export { PortPool, udpPortsBound, type PortPair } from './PortPool.js';
export { parseJobData } from './processor.js';
