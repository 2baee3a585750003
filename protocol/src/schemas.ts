import { z } from 'zod';
import type { BroadcastRecord, WebhookJobData } from './jobs.js';
import {
  WEBHOOK_EVENTS,
  type RotateWebhookSecretRequest,
  type StoredWebhookEndpoint,
  type WebhookDelivery,
} from './webhooks.js';
import {
  CUE_NAME_PATTERN,
  LAYOUT_MODES,
  MAX_CUE_PAYLOAD_BYTES,
  type Cue,
  type CueInput,
  type CueJson,
  LIVE_STATES,
  type BroadcastProgress,
  type BroadcastQuality,
  type LayoutChoice,
  type LiveState,
  type OnAirLayout,
  type PeerIdentity,
} from './model.js';
import type { Recording } from './rest.js';
import { ROLES } from './roles.js';

/**
 * Runtime schemas of what one process writes to Redis and another (or a later version of the
 * same) reads back: types do not validate what comes out of Redis. A separate entry of the
 * package (`@stagecast/protocol/schemas`), so that browsers never load zod for it.
 */

/** Peer ids are token subjects (UUIDs by default; API users may choose their own). */
const peerId = z.string().min(1).max(128);

export const peerIdentitySchema = z.object({
  peerId: z.string().min(1),
  name: z.string(),
  role: z.enum(ROLES),
}) satisfies z.ZodType<PeerIdentity>;

/** A layout choice, from a host's request or from Redis. */
export const layoutChoiceSchema = z.object({
  mode: z.enum(LAYOUT_MODES),
  pinnedPeerId: peerId.nullable(),
}) satisfies z.ZodType<LayoutChoice>;

export const onAirLayoutSchema = z.object({
  kind: z.enum(['slate', 'grid', 'speaker', 'spotlight', 'share']),
  tiles: z.number().int().min(0),
  peerIds: z.array(z.string()),
  lowerThird: z.string().nullable().optional(),
}) satisfies z.ZodType<OnAirLayout>;

export const broadcastQualitySchema = z.object({
  level: z.number().int().min(0),
  frameRate: z.number().min(0),
  reason: z.string().nullable(),
}) satisfies z.ZodType<BroadcastQuality>;

/** The compositor's BullMQ progress (another process, possibly another version). */
export const broadcastProgressSchema = z.object({
  state: z.enum(['starting', 'live', 'restarting']),
  fps: z.number(),
  speed: z.number(),
  bitrateKbps: z.number(),
  tiles: z.number(),
  session: z.number(),
  layout: onAirLayoutSchema,
  choice: layoutChoiceSchema,
  quality: broadcastQualitySchema,
  behindSeconds: z.number(),
}) satisfies z.ZodType<BroadcastProgress>;

/**
 * Loose: a record written by a newer version keeps the fields this one does not know when
 * this one rewrites it.
 */
export const liveStateSchema = z.looseObject({
  state: z.enum(LIVE_STATES),
  broadcastId: z.string().optional(),
  hlsUrl: z.string().optional(),
  startedAt: z.string().optional(),
  error: z.string().optional(),
  recordingUrl: z.string().optional(),
  layout: onAirLayoutSchema.optional(),
  speed: z.number().optional(),
  quality: broadcastQualitySchema.optional(),
}) satisfies z.ZodType<LiveState>;

/** The record at `broadcastKey(roomId)`: ingest writes it, the compositor reads `wanted`. */
export const broadcastRecordSchema = z.looseObject({
  wanted: z.enum(['live', 'stopped']),
  live: liveStateSchema,
}) satisfies z.ZodType<BroadcastRecord>;

/** One entry of a room's recordings list. */
export const recordingSchema = z.object({
  broadcastId: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  url: z.string(),
}) satisfies z.ZodType<Recording>;
export * from './pollSchemas.js';
export * from './restreamSchemas.js';

const cueJson: z.ZodType<CueJson> = z.json();

/** A cue's payload: JSON of at most MAX_CUE_PAYLOAD_BYTES as UTF-8. */
const cuePayloadSchema = cueJson.refine(
  (value) => new TextEncoder().encode(JSON.stringify(value)).length <= MAX_CUE_PAYLOAD_BYTES,
  `a cue payload is at most ${MAX_CUE_PAYLOAD_BYTES} bytes of JSON`,
);

/** A cue request from a host (socket or REST). */
export const cueInputSchema = z.strictObject({
  name: z.string().regex(CUE_NAME_PATTERN, 'a cue name is 1-64 of A-Za-z0-9_.:-'),
  payload: cuePayloadSchema.optional(),
}) satisfies z.ZodType<CueInput>;

/** A stamped cue, as ingest publishes it to the compositor and stores it in Redis. */
export const cueSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().regex(CUE_NAME_PATTERN),
  payload: cuePayloadSchema,
  at: z.number().int().min(0),
  broadcastId: z.string().min(1).max(128),
  by: z.object({ peerId: z.string().max(128), name: z.string().max(200) }).nullable(),
}) satisfies z.ZodType<Cue>;

/** Webhook endpoint URLs: absolute http(s), at most 2 000 characters. */
export const webhookUrlSchema = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

/**
 * `POST /api/webhooks`. Event names are checked as strings here and against
 * {@link WEBHOOK_EVENTS} by the route, so that an unknown name gets its own error code.
 */
export const createWebhookSchema = z.object({
  url: z.string(),
  events: z.array(z.string().max(64)).min(1, 'must name at least one event').max(64).optional(),
});

/** The longest grace a rotated webhook secret may keep signing: 30 days. */
export const MAX_WEBHOOK_ROTATION_GRACE_S = 30 * 24 * 3600;

/** `POST /api/webhooks/:id/secret` (an empty body takes the server's default grace). */
export const rotateWebhookSecretSchema = z.object({
  graceSeconds: z.number().int().min(0).max(MAX_WEBHOOK_ROTATION_GRACE_S).optional(),
}) satisfies z.ZodType<RotateWebhookSecretRequest>;

/** An endpoint as stored in Redis, secrets included. */
export const webhookEndpointSchema = z.object({
  id: z.string().min(1),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  secret: z.string().startsWith('whsec_'),
  createdAt: z.string(),
  previousSecret: z.string().startsWith('whsec_').optional(),
  previousSecretExpiresAt: z.string().optional(),
}) satisfies z.ZodType<StoredWebhookEndpoint>;

/** One attempt in an endpoint's delivery log (Redis). */
export const webhookDeliverySchema = z.object({
  messageId: z.string(),
  type: z.enum(WEBHOOK_EVENTS),
  attempt: z.number().int().min(1),
  status: z.number().int().nullable(),
  error: z.string().optional(),
  code: z.literal('WEBHOOK_URL_INVALID').optional(),
  ok: z.boolean(),
  durationMs: z.number().min(0),
  at: z.string(),
}) satisfies z.ZodType<WebhookDelivery>;

/** A `webhooks` job read back by a worker (possibly another version's). */
export const webhookJobSchema = z.object({
  endpointId: z.string().min(1),
  messageId: z.string().min(1),
  type: z.enum(WEBHOOK_EVENTS),
  body: z.string(),
}) satisfies z.ZodType<WebhookJobData>;
