import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { RateLimits } from './RateLimits.js';
import type { RoomStore } from '../rooms/RoomStore.js';
import type { PresenceStore } from '../rooms/PresenceStore.js';
import type { RoomManager } from '../rooms/RoomManager.js';
import type { MediaLease } from '../rooms/MediaLease.js';
import type { RoleService } from '../rooms/RoleService.js';
import type { TokenService } from '../rooms/TokenService.js';
import type { BanStore } from '../moderation/BanStore.js';
import type { Room } from '../rooms/Room.js';
import type { Peer } from '../rooms/Peer.js';
import type { StagecastServer, StagecastSocket } from './io.js';
import type { WebhookEmitter } from '../webhooks/WebhookEmitter.js';

/**
 * The shared collaborators of the process. Services take the part of it they use
 * (`Pick<IngestContext, ...>`), and their settings apart from it.
 */
export interface IngestContext {
  logger: Logger;
  io: StagecastServer;
  redis: Redis;
  store: RoomStore;
  presence: PresenceStore;
  rooms: RoomManager;
  /** Which process owns each room's media (its stage); only the owner creates its stage. */
  media: MediaLease;
  roles: RoleService;
  tokens: TokenService;
  bans: BanStore;
  limits: RateLimits;
  /** Where features report events for webhook endpoints (never throws, never waits). */
  webhooks: WebhookEmitter;
}

/** One verified connection: its socket, its live room and its peer. */
export interface PeerSession {
  socket: StagecastSocket;
  room: Room;
  peer: Peer;
  logger: Logger;
}
