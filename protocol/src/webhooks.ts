import type { LiveState, PeerIdentity, StagePeer } from './model.js';

/**
 * Events a webhook endpoint can subscribe to. Named `resource.action` as Standard Webhooks
 * recommends, so that receivers can route on a prefix.
 */
export const WEBHOOK_EVENTS = [
  'room.created',
  'room.deleted',
  'broadcast.started',
  'broadcast.ended',
  'recording.ready',
  'peer.joined',
  'peer.left',
  'stage.changed',
  'hand.raised',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** The `data` of each event. Every one names its room. */
export interface WebhookEventData {
  'room.created': { roomId: string; name: string };
  'room.deleted': { roomId: string };
  'broadcast.started': { roomId: string; broadcastId: string; hlsUrl: string; startedAt: string };
  /** `recordingUrl` is there when the broadcast was recorded; `error` when it failed. */
  'broadcast.ended': {
    roomId: string;
    broadcastId: string;
    state: Extract<LiveState['state'], 'ended' | 'error'>;
    recordingUrl?: string;
    error?: string;
  };
  'recording.ready': { roomId: string; broadcastId: string; url: string; startedAt: string; endedAt: string };
  'peer.joined': { roomId: string; peer: PeerIdentity };
  'peer.left': { roomId: string; peer: PeerIdentity };
  /** Who is on stage now, after someone joined or left it (or was promoted or demoted). */
  'stage.changed': { roomId: string; stage: StagePeer[] };
  'hand.raised': { roomId: string; peerId: string; name: string; question?: string; position: number };
}

/** The JSON body of every webhook request (the Standard Webhooks payload shape). */
export interface WebhookPayload<T extends WebhookEventType = WebhookEventType> {
  type: T;
  /** ISO time the event happened (not the time of the attempt). */
  timestamp: string;
  data: WebhookEventData[T];
}

/** `POST /api/webhooks` */
export interface CreateWebhookRequest {
  /** An http(s) URL. */
  url: string;
  /** Default: every event. */
  events?: WebhookEventType[];
}

/** An endpoint as `GET /api/webhooks` lists it: never with its secret. */
export interface WebhookEndpointInfo {
  id: string;
  url: string;
  events: WebhookEventType[];
  /** ISO time. */
  createdAt: string;
  /**
   * After a rotation, until when (ISO time) the previous secret still signs every request
   * besides the new one, so that receivers can switch without refusing anything.
   */
  previousSecretExpiresAt?: string;
}

/**
 * `POST /api/webhooks` (201) and `POST /api/webhooks/:id/secret`: the secret, `whsec_` and
 * base64, is shown only in these answers.
 */
export interface WebhookEndpointWithSecret extends WebhookEndpointInfo {
  secret: string;
}

/**
 * `POST /api/webhooks/:id/secret`. `graceSeconds`: how long the current secret keeps signing
 * beside the new one (0: revoked at once, for a leaked secret). Default: the server's
 * `STAGECAST_WEBHOOK_ROTATION_GRACE_S`.
 */
export interface RotateWebhookSecretRequest {
  graceSeconds?: number;
}

/** An endpoint as the server stores it: the previous secret too, while it still signs. */
export interface StoredWebhookEndpoint extends WebhookEndpointWithSecret {
  previousSecret?: string;
}

/** `GET /api/webhooks` */
export interface WebhookListResponse {
  webhooks: WebhookEndpointInfo[];
}

/** One delivery attempt, as `GET /api/webhooks/:id/deliveries` lists it (newest first). */
export interface WebhookDelivery {
  /** The `webhook-id` header: the same for every attempt of one message. */
  messageId: string;
  type: WebhookEventType;
  /** 1-based. */
  attempt: number;
  /** The HTTP status the endpoint answered, or null when it did not (see `error`). */
  status: number | null;
  /** Why the attempt failed without a status: timeout, connection refused… */
  error?: string;
  /**
   * `WEBHOOK_URL_INVALID`: nothing was sent, because the URL, or an address its name resolved
   * to when connecting, is one a webhook must not reach (see `error` for which and why).
   */
  code?: 'WEBHOOK_URL_INVALID';
  ok: boolean;
  durationMs: number;
  /** ISO time the attempt started. */
  at: string;
}

/** `GET /api/webhooks/:id/deliveries` */
export interface WebhookDeliveriesResponse {
  deliveries: WebhookDelivery[];
}
