import { z } from 'zod';
import type { CompositorMessage } from '@stagecast/protocol';
import { broadcastProgressSchema, restreamStatusSchema } from '@stagecast/protocol/schemas';

/**
 * Runtime schemas of what the broadcast feature receives from outside this process: compositor
 * messages and job progress, and its own records read back from Redis (a record written by an
 * older or newer ingest, or by hand, is not trusted to match the type). Those the compositor
 * shares are in `@stagecast/protocol/schemas`.
 */

/** Just enough of a progress report to follow the broadcast's state when the rest is malformed. */
export const progressStateSchema = z.object({ state: broadcastProgressSchema.shape.state });

/** What the progress store keeps: the figures of one broadcast (a later one must not show them). */
export const storedProgressSchema = z.object({ broadcastId: z.string(), progress: broadcastProgressSchema });

const port = z.number().int().min(1).max(65535);
/** Feed ids are chosen by the compositor; bounded so a bad message cannot grow our maps' keys. */
const feedId = z.string().min(1).max(128);

/** Compositor → ingest handshake messages (see protocol/jobs.ts). */
export const compositorMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), roomId: z.string(), jobId: z.string() }),
  z.object({ type: z.literal('stageRequest'), roomId: z.string() }),
  z.object({
    type: z.literal('bind'),
    roomId: z.string(),
    feedId,
    host: z.string().min(1),
    producerId: z.string().min(1),
    rtpPort: port,
    rtcpPort: port,
  }),
  z.object({ type: z.literal('keyFrame'), roomId: z.string(), feedId }),
  z.object({ type: z.literal('release'), roomId: z.string(), feedId }),
  z.object({ type: z.literal('restream'), roomId: z.string(), status: restreamStatusSchema }),
  z.object({
    type: z.literal('ended'),
    roomId: z.string(),
    broadcastId: z.string(),
    ok: z.boolean(),
    error: z.string().optional(),
    recordingUrl: z.string().optional(),
  }),
]) satisfies z.ZodType<CompositorMessage>;
