import { z } from 'zod';
import {
  RESTREAM_LIMITS,
  RESTREAM_STATES,
  type RestreamInput,
  type RestreamStatus,
  type StoredRestream,
} from './restream.js';

/** Restream schemas (part of `@stagecast/protocol/schemas`). */

const restreamId = z.string().regex(/^rs_[A-Za-z0-9_-]{1,40}$/, 'not a restream id');

/**
 * A host's new destination. The URL is checked as a string here and by the service with
 * `isRestreamUrl`, so a wrong scheme gets its own error code.
 */
export const restreamInputSchema = z.object({
  label: z
    .string()
    .transform((s) => s.replace(/[\p{Cc}\p{Cf}]/gu, '').trim())
    .pipe(z.string().min(1, 'must not be empty').max(RESTREAM_LIMITS.labelMax)),
  url: z.string().min(1, 'must not be empty').max(RESTREAM_LIMITS.urlMax),
  // Printable ASCII without spaces: what the services hand out; anything else is a paste error.
  streamKey: z
    .string()
    .min(1, 'must not be empty')
    .max(RESTREAM_LIMITS.keyMax)
    .regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces'),
}) satisfies z.ZodType<RestreamInput>;

export const restreamIdSchema = z.object({ id: restreamId });

export const storedRestreamSchema = z.object({
  id: restreamId,
  label: z.string().max(RESTREAM_LIMITS.labelMax),
  url: z.string().max(RESTREAM_LIMITS.urlMax),
  streamKey: z.string().min(1).max(RESTREAM_LIMITS.keyMax),
  createdAt: z.string(),
}) satisfies z.ZodType<StoredRestream>;

export const restreamStatusSchema = z.object({
  id: restreamId,
  broadcastId: z.string().min(1).max(128),
  state: z.enum(RESTREAM_STATES).exclude(['idle']),
  reason: z.string().max(500).optional(),
  since: z.number().int().min(0),
}) satisfies z.ZodType<RestreamStatus>;
