export { startTranscoder, Transcoder, WORKER_TIMINGS, type TranscoderOptions } from './Transcoder.js';
export { configFromEnv, type TranscoderConfig } from './config.js';
export {
  buildFfmpegArgs,
  buildFilterGraph,
  compositeSize,
  runPaths,
  type FfmpegJobSettings,
} from './buildFfmpegArgs.js';
export { buildSdp } from './buildSdp.js';
export { computeLayout, MAX_TILES, onAirOf, type Layout, type Rect, type TileBox } from './computeLayout.js';
export { buildScene, sceneCommands, type Scene } from './scene.js';
export { SlotRelay } from './relay/SlotRelay.js';
export { RtpSlot } from './relay/RtpSlot.js';
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
export { CompositeRun, type CompositeRunOptions } from './CompositeRun.js';
export { CompositeJob, type CompositeJobOptions } from './CompositeJob.js';
export { JOB_TIMINGS } from './jobTimings.js';
export { IngestLink } from './IngestLink.js';
export { PortPool, udpPortsBound, type PortPair } from './PortPool.js';
export { parseJobData } from './processor.js';
