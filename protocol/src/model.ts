import type { types as msc } from 'mediasoup-client';
import type { Role } from './roles.js';
import type { PollsSnapshot } from './polls.js';

export type RtpCapabilities = msc.RtpCapabilities;
export type RtpParameters = msc.RtpParameters;
export type DtlsParameters = msc.DtlsParameters;
export type IceParameters = msc.IceParameters;
export type IceCandidate = msc.IceCandidate;
export type MediaKind = 'audio' | 'video';

/** What a producer carries; the compositor lays tiles out by it. */
export const MEDIA_SOURCES = ['camera', 'mic', 'screen', 'screen-audio'] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];

/** Who sent a request or a message, as everyone else sees them. */
export interface PeerIdentity {
  peerId: string;
  name: string;
  role: Role;
}

export interface ProducerInfo {
  id: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

/** A peer on the stage (host, co-host or guest) with what it publishes. */
export interface StagePeer extends PeerIdentity {
  producers: ProducerInfo[];
  /**
   * In the composite (and `live.layout`); false while backstage: seen and heard by the others
   * on stage, but not by the audience.
   */
  onAir: boolean;
  /** Sources a host hard-muted: the member cannot unmute them until a host lifts it. */
  hardMuted: StageMuteSource[];
}

/**
 * Where people arrive when they step on stage: `backstage` (hosts greet them, then put them on
 * air) or `onAir` directly (small rooms). Applies to promoted viewers; hosts and co-hosts who
 * join with their own link arrive on air.
 */
export const STAGE_ENTRIES = ['backstage', 'onAir'] as const;
export type StageEntry = (typeof STAGE_ENTRIES)[number];
export const DEFAULT_STAGE_ENTRY: StageEntry = 'backstage';

/** What a host can mute on a stage member. */
export const STAGE_MUTE_SOURCES = ['mic', 'camera'] as const;
export type StageMuteSource = (typeof STAGE_MUTE_SOURCES)[number];

/** A host's or co-host's action on a stage member, as the member (and the hosts) are told. */
export interface StageModeration {
  action: 'mute' | 'hardMute' | 'liftHardMute' | 'onAir' | 'offAir';
  peerId: string;
  /** For the mute actions. */
  source?: StageMuteSource;
  /** Who did it; null for the REST API. */
  by: PeerIdentity | null;
}

export interface RoomSummary {
  id: string;
  name: string;
}

export const LIVE_STATES = ['idle', 'starting', 'live', 'stopping', 'ended', 'error'] as const;
export type LiveStateName = (typeof LIVE_STATES)[number];

/**
 * How hosts want the stage laid out in the composite.
 * - `auto`: screen share when someone shares, otherwise the active speaker large once two or
 *   more are on air, otherwise the grid;
 * - `grid`: equal tiles (1–9);
 * - `speaker`: the active speaker large, everyone else in a strip (the speaker changes after
 *   holding the floor for 2 s, so the picture does not flicker between voices);
 * - `spotlight`: the pinned person large, everyone else in a strip;
 * - `share`: the screen share large, cameras in a strip (grid when nobody shares).
 */
export const LAYOUT_MODES = ['auto', 'grid', 'speaker', 'spotlight', 'share'] as const;
export type LayoutMode = (typeof LAYOUT_MODES)[number];

/** The layout hosts chose for a room (kept while the room exists, live or not). */
export interface LayoutChoice {
  mode: LayoutMode;
  /** The person `spotlight` shows large; ignored by the other modes. */
  pinnedPeerId: string | null;
}

export const DEFAULT_LAYOUT: LayoutChoice = { mode: 'auto', pinnedPeerId: null };

/** What the picture on air shows now (after the compositor applied it). */
export interface OnAirLayout {
  /** `slate`: nobody on stage; otherwise the arrangement the chosen mode resolved to. */
  kind: 'slate' | 'grid' | 'speaker' | 'spotlight' | 'share';
  /** Tiles in the picture. */
  tiles: number;
  /** The people with a tile, in tile order (a screen share and its sharer's camera count once). */
  peerIds: string[];
  /** The highlighted question shown as a lower-third (its text), or null when none is on air. */
  lowerThird?: string | null;
}

/**
 * The compositor's deliberate quality steps when the machine cannot keep up: each step is
 * cheaper (preset, frame rate), never later. 0 is full quality.
 */
export interface BroadcastQuality {
  level: number;
  /** Frames per second on air now. */
  frameRate: number;
  /** Why quality was lowered, for the host; null at full quality. */
  reason: string | null;
}

/** The broadcast (stage → HLS) of a room. */
export interface LiveState {
  state: LiveStateName;
  broadcastId?: string;
  /** Path of the master playlist on the ingest origin, e.g. `/hls/<roomId>/master.m3u8`. */
  hlsUrl?: string;
  /** ISO time the broadcast started. */
  startedAt?: string;
  /** Set when `state` is `error`. */
  error?: string;
  /** Set when `state` is `ended` and the broadcast was recorded. */
  recordingUrl?: string;
  /** While live: the picture on air (from the compositor's last report). */
  layout?: OnAirLayout;
  /** While live: FFmpeg's speed over the last seconds (1 = real time). */
  speed?: number;
  /** While live: the compositor's quality step. */
  quality?: BroadcastQuality;
}

/** Live figures of the compositor, relayed to hosts. */
export interface BroadcastProgress {
  state: 'starting' | 'live' | 'restarting';
  fps: number;
  speed: number;
  bitrateKbps: number;
  /** Tiles in the picture on air. */
  tiles: number;
  /** Number of FFmpeg runs so far in this broadcast (restarts + 1). */
  session: number;
  /** The picture on air. */
  layout: OnAirLayout;
  /** The layout hosts chose. */
  choice: LayoutChoice;
  quality: BroadcastQuality;
  /** How far the output is behind real time (s), measured from FFmpeg's progress. */
  behindSeconds: number;
}

export interface ChatMessage {
  id: string;
  /** The sender's own id for the message; a retried send with the same id is stored once. */
  clientId: string;
  /** Plain text, never HTML: render it as text. */
  text: string;
  /**
   * Server time the message was accepted, ms since the epoch: its sync stamp (see
   * {@link Stamped}); players hold it until the picture reaches this time.
   */
  ts: number;
  sender: PeerIdentity;
}

export interface ChatState {
  messages: ChatMessage[];
  pinned: ChatMessage | null;
  slowModeSeconds: number;
}

/** One raised hand in a room's FIFO queue. */
export interface HandEntry {
  peerId: string;
  name: string;
  question?: string;
  /** ms since the epoch. */
  raisedAt: number;
  /** 1-based. */
  position: number;
}

export interface StageInvite {
  inviteId: string;
  peerId: string;
  from: PeerIdentity;
  /** ms since the epoch. */
  expiresAt: number;
}

export interface AudienceMember {
  peerId: string;
  name: string;
  handRaised: boolean;
}

/** Longest question, in Unicode code points, after cleaning (like chat). */
export const MAX_QUESTION_LENGTH = 300;

/** A question of a room's Q&A (separate from chat). */
export interface Question {
  id: string;
  /** Plain text, never HTML: render it as text. */
  text: string;
  /** Server time, ms since the epoch. */
  ts: number;
  asker: PeerIdentity;
  /** Distinct people who upvoted it (one vote per identity). */
  votes: number;
  answered: boolean;
  /** Hidden by a host or co-host: only they still see it. */
  hidden: boolean;
  /** Shown on air as the lower-third (at most one per room). */
  highlighted: boolean;
}

/** The Q&A part of the join snapshot. */
export interface QuestionsState {
  /** Oldest first; hidden ones only for hosts and co-hosts. */
  questions: Question[];
  /** Ids of the questions this person upvoted. */
  upvoted: string[];
}

/** What the compositor draws as the lower-third: the highlighted question and who asked it. */
export interface LowerThird {
  text: string;
  name: string;
}

/** Everything a client needs after connecting (and again after reconnecting). */
export interface JoinSnapshot {
  self: PeerIdentity;
  room: RoomSummary;
  stage: StagePeer[];
  activeSpeakerPeerId: string | null;
  live: LiveState;
  chat: ChatState;
  /** The whole queue for those who manage the stage; otherwise only one's own entry. */
  /** `invite`: one's own open invitation on stage, so a reloaded page can still answer it. */
  hands: { queue: HandEntry[]; mine: HandEntry | null; invite: StageInvite | null };
  audience: { viewers: number };
  /** Greatest number of people on stage at once. */
  maxStage: number;
  /** The layout hosts chose for the composite. */
  layout: LayoutChoice;
  /** Where promoted viewers arrive on stage (absent from servers that predate backstage). */
  stageEntry?: StageEntry;
  /** The room's Q&A. */
  questions: QuestionsState;
  /** The viewer link to share; given to those who manage the stage only. */
  viewerLink?: string;
  /** The open poll and one's own vote (absent from servers without polls). */
  polls?: PollsSnapshot;
}

export interface TransportOptions {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface ConsumerOptions {
  id: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: RtpParameters;
  /** The producer was paused when the consumer was made. */
  producerPaused: boolean;
}

/** A plain RTP transport for bots and tools that send RTP without WebRTC. */
export interface PlainTransportInfo {
  id: string;
  ip: string;
  port: number;
  rtcpPort: number;
}

/** Why a room ended for a client. */
export type RoomClosedReason =
  | 'deleted'
  | 'worker-died'
  | 'banned'
  | 'replaced'
  | 'token-expired'
  /** The role link this connection came through was rotated. */
  | 'link-rotated';

/** The three role links of a room; guests hold viewer-link tokens (they were promoted viewers). */
export const LINK_KINDS = ['host', 'cohost', 'viewer'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** A ban: the person's identity (the token's `sub`), as listed to hosts and the REST API. */
export interface BanEntry {
  /** The banned identity; lifting the ban takes this id. */
  peerId: string;
  /** The display name at the time of the ban (names are not what is banned). */
  name: string;
  /** The role the person held when banned. */
  role: Role;
  /** ms since the epoch. */
  bannedAt: number;
  /** Who banned them (peer id and name), or null for the REST API. */
  by: { peerId: string; name: string } | null;
  reason?: string;
}

/**
 * A room event stamped with the server's wall-clock time it was accepted (ms since the epoch).
 * Viewers watching HLS see the picture seconds late; a client holds a stamped event until its
 * picture (EXT-X-PROGRAM-DATE-TIME, the capture clock of the compositor) reaches `at`, so chat
 * and cues land with the moment they belong to. Both clocks are servers' clocks: the viewer's
 * own clock never enters the comparison.
 */
export interface Stamped {
  at: number;
}

/** Cue names: short identifiers, safe as an HLS attribute value. */
export const CUE_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Largest cue payload, as UTF-8 JSON. */
export const MAX_CUE_PAYLOAD_BYTES = 1024;
/** CLASS of the EXT-X-DATERANGE tags cues are written as in the playlists. */
export const CUE_DATERANGE_CLASS = 'io.stagecast.cue';

/** JSON a cue carries. */
export type CueJson = string | number | boolean | null | CueJson[] | { [key: string]: CueJson };

/** What a host sends as a cue: a name (e.g. `poll`, `slide:4`) and a small JSON payload. */
export interface CueInput {
  name: string;
  /** Default null. At most {@link MAX_CUE_PAYLOAD_BYTES} as JSON. */
  payload?: CueJson;
}

/**
 * A point in the broadcast's timeline: it fires for each viewer when their picture reaches
 * `at`, and stays in the playlists (live and recording) as an EXT-X-DATERANGE tag.
 */
export interface Cue extends Stamped {
  id: string;
  name: string;
  payload: CueJson;
  /** The broadcast it was written into. */
  broadcastId: string;
  /** Who sent it (null for the REST API). */
  by: { peerId: string; name: string } | null;
}
