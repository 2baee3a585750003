import type { types as msc } from 'mediasoup-client';
import type { Role } from './roles.js';

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
}

export interface RoomSummary {
  id: string;
  name: string;
}

export const LIVE_STATES = ['idle', 'starting', 'live', 'stopping', 'ended', 'error'] as const;
export type LiveStateName = (typeof LIVE_STATES)[number];

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
}

/** Live figures of the compositor, relayed to hosts. */
export interface BroadcastProgress {
  state: 'starting' | 'live' | 'restarting';
  fps: number;
  speed: number;
  bitrateKbps: number;
  /** Tiles in the picture on air (a replacement's layout counts once it has taken over). */
  tiles: number;
  /** Number of FFmpeg sessions so far in this broadcast (restarts + 1). */
  session: number;
}

export interface ChatMessage {
  id: string;
  /** The sender's own id for the message; a retried send with the same id is stored once. */
  clientId: string;
  /** Plain text, never HTML: render it as text. */
  text: string;
  /** Server time, ms since the epoch. */
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
  /** The viewer link to share; given to those who manage the stage only. */
  viewerLink?: string;
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
export type RoomClosedReason = 'deleted' | 'worker-died' | 'banned' | 'replaced' | 'token-expired';
