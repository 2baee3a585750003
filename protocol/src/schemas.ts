import { z } from 'zod';
import type { BroadcastRecord } from './jobs.js';
import {
  LAYOUT_MODES,
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
