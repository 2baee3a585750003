import type { BanEntry, LiveState, StageEntry, StagePeer } from './model.js';
import type { Role } from './roles.js';
import type { RestreamDestination } from './restream.js';

/** `POST /api/rooms` */
export interface CreateRoomRequest {
  name: string;
  /** Where promoted viewers arrive on stage; default `backstage`. */
  stageEntry?: StageEntry;
}

/**
 * `POST /api/rooms/:id/stage/:peerId/air` (body and answer): put someone on stage on air or
 * backstage. `GET`/`PUT /api/rooms/:id/stage/entry` read and set `{ stageEntry }`.
 */
export interface StageAirRequest {
  onAir: boolean;
}
export interface RoomLinks {
  host: string;
  cohost: string;
  viewer: string;
}
export interface CreateRoomResponse {
  id: string;
  name: string;
  links: RoomLinks;
}

/** `GET /api/rooms/:id` */
export interface RoomInfo {
  id: string;
  name: string;
  live: LiveState;
  stage: StagePeer[];
  viewers: number;
  /** The room's restream destinations and their status (keys masked). */
  restreams: RestreamDestination[];
}

/** `GET /api/rooms/:id/restreams`; `POST` (a `RestreamInput`) answers `{ restream }`, 201. */
export interface RestreamListResponse {
  restreams: RestreamDestination[];
}

/** `POST /api/rooms/:id/tokens` */
export interface CreateTokenRequest {
  role: Role;
  name: string;
  ttlSeconds?: number;
}

/** `POST /api/join` (no secret): how a role link becomes a token. */
export interface JoinRequest {
  code: string;
  name: string;
}
export interface JoinResponse {
  token: string;
  role: Role;
  roomId: string;
  roomName: string;
}

/** `GET /api/rooms/:id/recordings` */
export interface Recording {
  broadcastId: string;
  startedAt: string;
  endedAt?: string;
  url: string;
}

/** Body of every REST error response. */
export interface ErrorBody {
  error: { code: string; message: string; retryAfterMs?: number };
}

/** `GET /api/rooms/:id/bans`; `DELETE /api/rooms/:id/bans/:peerId` lifts one. */
export interface BanListResponse {
  bans: BanEntry[];
}

/** `POST /api/rooms/:id/links/:link`: the room's links, the rotated one new. */
export interface RotateLinkResponse {
  links: RoomLinks;
}

/** An RTMP ingest key as `GET /api/rooms/:id/ingest` lists it (never the stream key). */
export interface IngestKeyInfo {
  id: string;
  /** The participant's name on stage. */
  name: string;
  createdAt: number;
  /** Whether a publisher is on stage with this key now (on this server). */
  live: boolean;
  /** The stage participant's id while live. */
  peerId?: string;
}

/** `POST /api/rooms/:id/ingest`: the new key, with its stream key shown this once. */
export interface IngestKeyCreated {
  id: string;
  name: string;
  createdAt: number;
  /** OBS: Settings → Stream → Server. */
  rtmpUrl: string;
  /** OBS: Stream Key. A secret: it is never shown again. */
  streamKey: string;
}
