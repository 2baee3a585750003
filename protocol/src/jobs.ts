import type { BroadcastProgress, Cue, LayoutChoice, LiveState, LowerThird, MediaKind } from './model.js';
import type { WebhookEventType } from './webhooks.js';
import type { RestreamStatus } from './restream.js';

/** BullMQ queue that runs one compositing job per live room. */
export const COMPOSITE_QUEUE = 'composite';

/** One rung of the ABR ladder. */
export interface Rendition {
  name: string;
  width: number;
  height: number;
  videoKbps: number;
  audioKbps: number;
}

export const DEFAULT_LADDER: readonly Rendition[] = [
  { name: '720p', width: 1280, height: 720, videoKbps: 2500, audioKbps: 128 },
  { name: '480p', width: 854, height: 480, videoKbps: 1200, audioKbps: 96 },
  { name: '360p', width: 640, height: 360, videoKbps: 700, audioKbps: 64 },
];

/** Data of a `composite` job. Bad data makes the processor throw `UnrecoverableError`. */
export interface CompositeJobData {
  roomId: string;
  roomName: string;
  broadcastId: string;
  /** ISO time. */
  startedAt: string;
  /** Keep every segment and write a VOD playlist at the end. */
  record: boolean;
  ladder: Rendition[];
  /** Segment length in seconds (1–2). */
  segmentSeconds: number;
  /** Segments kept in the live playlist: the DVR window viewers can seek back over. */
  liveWindow: number;
  /** Burn the wall clock into the picture (benchmarks). */
  burnClock: boolean;
  frameRate: number;
  /**
   * Fixed inputs of the compositor's one FFmpeg: VP8 video slots (tiles with a picture), H.264
   * video slots (publishers that send H.264 only, such as OBS over WHIP; absent: none) and
   * audio slots (microphones and shared-screen audio mixed). Ingest sets them from its stage cap.
   */
  slots: { video: number; audio: number; h264?: number };
}

export interface CompositeJobResult {
  broadcastId: string;
  segments: number;
  sessions: number;
  recorded: boolean;
}

/** BullMQ progress of a `composite` job. */
export type CompositeJobProgress = BroadcastProgress;

/**
 * The largest stage a server may be configured for (`STAGECAST_MAX_STAGE`): the compositor
 * mixes at most 32 audio inputs, everyone on stage plus one screen share.
 */
export const MAX_STAGE_LIMIT = 31;

/**
 * The most tiles, and the most audio producers, one {@link StageSnapshot} carries: a full stage
 * plus one screen share. Ingest never sends more; the compositor refuses a snapshot with more.
 */
export const MAX_SNAPSHOT_ENTRIES = MAX_STAGE_LIMIT + 1;

/** One tile of the composite: a person on stage, or a screen share. */
export interface StageTile {
  peerId: string;
  name: string;
  source: 'camera' | 'screen';
  /** null when the camera is off: the tile shows the name only. */
  videoProducerId: string | null;
  /**
   * The codec of `videoProducerId`, lowercase (`vp8`, `h264`): the compositor puts it into a
   * slot of that codec. Absent: VP8.
   */
  videoCodec?: string;
}

/** What ingest tells the compositor about a room's stage. */
export interface StageSnapshot {
  roomName: string;
  tiles: StageTile[];
  audioProducerIds: string[];
  activeSpeakerPeerId: string | null;
  /** The layout hosts chose. */
  layout: LayoutChoice;
  /** The highlighted question, drawn as a lower-third; absent or null when none. */
  lowerThird?: LowerThird | null;
  /** Increases with every change, so the compositor can drop stale snapshots. */
  version: number;
}

/** The RTP the compositor receives for one producer (one feed). */
export interface RtpInput {
  producerId: string;
  kind: MediaKind;
  /** e.g. `VP8`, `H264`, `opus`. */
  codec: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  ssrc: number;
  /** Codec parameters for the SDP `a=fmtp` line, if any. */
  fmtp?: string;
  rtpPort: number;
  rtcpPort: number;
}

/** Redis pub/sub channel where ingest listens for compositor messages. */
export const INGEST_CHANNEL = 'stagecast:ingest';
/** Redis pub/sub channel where the compositor of one room listens. */
export function compositorChannel(roomId: string): string {
  return `stagecast:compositor:${roomId}`;
}

/**
 * The handshake, compositor → ingest. A feed is one producer's RTP, sent by ingest to the
 * compositor's relay for as long as the compositor wants it (FFmpeg never sees a feed
 * directly: the relay puts feeds into its fixed input slots).
 * hello → (stage) → bind → (bound | bindFailed) → keyFrame … release → ended.
 */
export type CompositorMessage =
  /** The compositor took the job; ingest answers with `stage`. */
  | { type: 'hello'; roomId: string; jobId: string }
  /** Asks again who is on stage (a periodic check that someone still holds the room). */
  | { type: 'stageRequest'; roomId: string }
  /** The relay listens on these ports (already bound) for this producer's RTP; send it now. */
  | {
      type: 'bind';
      roomId: string;
      feedId: string;
      host: string;
      producerId: string;
      rtpPort: number;
      rtcpPort: number;
    }
  /** The relay needs a key frame on this feed (a slot switched to it, or FFmpeg restarted). */
  | { type: 'keyFrame'; roomId: string; feedId: string }
  /** The feed is no longer wanted; ingest closes its transport. */
  | { type: 'release'; roomId: string; feedId: string }
  /** A restream destination changed state (also kept in `restreamStatusKey`). */
  | { type: 'restream'; roomId: string; status: RestreamStatus }
  /** The broadcast ended (stopped, or failed for good). */
  | {
      type: 'ended';
      roomId: string;
      broadcastId: string;
      ok: boolean;
      error?: string;
      recordingUrl?: string;
    };

/** The handshake, ingest → compositor. */
export type IngestMessage =
  /**
   * `epoch` is the sender's media lease epoch: it grows each time another ingest process takes
   * the room's media, and 0 comes from a process that does not own it. The compositor follows
   * the highest epoch it has seen and drops stage snapshots of a lower one, so a process that
   * lost the room can never change the picture.
   */
  | { type: 'stage'; roomId: string; epoch: number; stage: StageSnapshot }
  | { type: 'bound'; roomId: string; feedId: string; input: RtpInput }
  | { type: 'bindFailed'; roomId: string; feedId: string; message: string }
  | { type: 'stop'; roomId: string }
  /** A cue to write into the playlists (live and recording) of this broadcast. */
  | { type: 'cue'; roomId: string; cue: Cue }
  /** The room's restream destinations changed: read `restreamsKey` again. */
  | { type: 'restreams'; roomId: string };

/**
 * JSON stored at `broadcastKey(roomId)`: what ingest wants and what viewers are told.
 * A compositor taking over a job reads `wanted` to know whether to go on.
 */
export interface BroadcastRecord {
  wanted: 'live' | 'stopped';
  live: LiveState;
}

/** Redis key holding the wanted state of a room's broadcast, read on job takeover. */
export function broadcastKey(roomId: string): string {
  return `stagecast:room:${roomId}:broadcast`;
}

/** BullMQ queue of webhook deliveries: one job per message and endpoint, retried with backoff. */
export const WEBHOOK_QUEUE = 'webhooks';

/**
 * Data of a `webhooks` job. The body is fixed when the event happens, so every attempt sends
 * the same bytes under the same `webhook-id`; the timestamp and signature are made per attempt
 * with the endpoint's secret of that moment (a rotated secret signs the retries).
 */
export interface WebhookJobData {
  endpointId: string;
  messageId: string;
  type: WebhookEventType;
  body: string;
}
