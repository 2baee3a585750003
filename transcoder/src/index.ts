export { startTranscoder, Transcoder, WORKER_TIMINGS, type TranscoderOptions } from './Transcoder.js';
export { configFromEnv, type TranscoderConfig } from './core/config.js';
export {
  buildFfmpegArgs,
  buildFilterGraph,
  compositeSize,
  runPaths,
  type FfmpegJobSettings,
} from './ffmpeg/buildFfmpegArgs.js';
export { buildSdp } from './ffmpeg/buildSdp.js';
export {
  computeLayout,
  MAX_TILES,
  onAirOf,
  type Layout,
  type Rect,
  type TileBox,
} from './picture/computeLayout.js';
export { buildScene, sceneCommands, type Scene } from './picture/scene.js';
export { SlotRelay } from './relay/SlotRelay.js';
export { RtpSlot } from './relay/RtpSlot.js';
export { h264Profile, type H264Profile } from './ffmpeg/h264.js';
export { joinFragments, startsWithKeyFrame } from './hls/fmp4.js';
export {
  appendPart,
  closeSegment,
  initialState,
  parseSessionPlaylist,
  renderMasterPlaylist,
  renderMediaPlaylist,
  renderVodPlaylist,
  type PlaylistState,
  type PublicPart,
  type PublicSegment,
} from './hls/playlist.js';
export { PlaylistWriter, type PlaylistWriterOptions } from './hls/PlaylistWriter.js';
export { STATE_FILE } from './hls/stateFiles.js';
export { CompositeRun, type CompositeRunOptions } from './ffmpeg/CompositeRun.js';
export { CompositeJob, type CompositeJobOptions } from './job/CompositeJob.js';
export { JOB_TIMINGS } from './job/jobTimings.js';
export { IngestLink } from './job/IngestLink.js';
export { PortPool, udpPortsBound, type PortPair } from './core/PortPool.js';
export { parseJobData } from './job/processor.js';
