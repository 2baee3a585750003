import { z } from 'zod';
import {
  isSafeId,
  LAYOUT_MODES,
  MAX_SNAPSHOT_ENTRIES,
  type CompositeJobData,
  type IngestMessage,
} from '@stagecast/protocol';
import { cueSchema } from '@stagecast/protocol/schemas';
import { MAX_TILES } from '../picture/computeLayout.js';

const safeId = z.string().refine(isSafeId, 'not a safe id');
const renditionName = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
const evenSize = (max: number) =>
  z
    .number()
    .int()
    .min(16)
    .max(max)
    .refine((n) => n % 2 === 0, 'must be even');

/** Runtime check of `CompositeJobData` (types do not validate what comes out of Redis). */
export const compositeJobSchema = z.object({
  roomId: safeId,
  roomName: z.string().max(200),
  broadcastId: safeId,
  startedAt: z.string(),
  record: z.boolean(),
  ladder: z
    .array(
      z.object({
        name: renditionName,
        width: evenSize(3840),
        height: evenSize(2160),
        videoKbps: z.number().int().min(50).max(50_000),
        audioKbps: z.number().int().min(16).max(512),
      }),
    )
    .min(1)
    .max(6)
    .refine((l) => new Set(l.map((r) => r.name)).size === l.length, 'rendition names must be unique'),
  segmentSeconds: z.number().min(0.5).max(10),
  // Up to a 4 h DVR window of 0.5 s segments.
  liveWindow: z.number().int().min(2).max(30_000),
  burnClock: z.boolean(),
  frameRate: z.number().int().min(1).max(60),
  slots: z.object({
    video: z.number().int().min(1).max(MAX_TILES),
    audio: z.number().int().min(1).max(MAX_SNAPSHOT_ENTRIES),
    h264: z.number().int().min(0).max(MAX_TILES).optional(),
  }),
}) satisfies z.ZodType<CompositeJobData>;

const port = z.number().int().min(1).max(65535);
const stageSchema = z.object({
  roomName: z.string().max(200),
  tiles: z
    .array(
      z.object({
        peerId: z.string().max(128),
        name: z.string().max(200),
        source: z.enum(['camera', 'screen']),
        videoProducerId: z.string().max(128).nullable(),
        videoCodec: z
          .string()
          .regex(/^[a-z0-9]{1,16}$/)
          .optional(),
      }),
    )
    .max(MAX_SNAPSHOT_ENTRIES),
  audioProducerIds: z.array(z.string().max(128)).max(MAX_SNAPSHOT_ENTRIES),
  activeSpeakerPeerId: z.string().max(128).nullable(),
  layout: z.object({ mode: z.enum(LAYOUT_MODES), pinnedPeerId: z.string().max(128).nullable() }),
  // Questions are at most 300 characters; names at most 200 (the room name's bound).
  lowerThird: z
    .object({ text: z.string().max(600), name: z.string().max(200) })
    .nullable()
    .optional(),
  version: z.number().int().min(0),
});

const rtpInputSchema = z.object({
  producerId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
  kind: z.enum(['audio', 'video']),
  codec: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().min(1).max(1_000_000),
  channels: z.number().int().min(1).max(8).optional(),
  ssrc: z.number().int().min(0),
  fmtp: z
    .string()
    .regex(/^[\x20-\x7e]*$/)
    .max(500)
    .optional(),
  rtpPort: port,
  rtcpPort: port,
});

/** Runtime check of what ingest publishes on the compositor channel. */
export const ingestMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('stage'),
    roomId: z.string(),
    epoch: z.number().int().min(0),
    stage: stageSchema,
  }),
  z.object({ type: z.literal('bound'), roomId: z.string(), feedId: z.string(), input: rtpInputSchema }),
  z.object({ type: z.literal('bindFailed'), roomId: z.string(), feedId: z.string(), message: z.string() }),
  z.object({ type: z.literal('stop'), roomId: z.string() }),
  z.object({ type: z.literal('cue'), roomId: z.string(), cue: cueSchema }),
  z.object({ type: z.literal('restreams'), roomId: z.string() }),
]) satisfies z.ZodType<IngestMessage>;
