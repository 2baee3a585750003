/**
 * The WebRTC stage, a separate entry (`@stagecast/sdk/stage`) because it carries
 * mediasoup-client: an app that only watches HLS, chats and raises hands never loads it,
 * and one that may go on stage can load it with `import()` when it does.
 */
export { Stage, type RemoteTrack, type StageEvents, type StageOptions } from './Stage.js';
