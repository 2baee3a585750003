import { z } from 'zod';
import { POLL_LIMITS, type CreatePollRequest } from './polls.js';
import { REACTIONS } from './reactions.js';

/** Poll and reaction request schemas (part of `@stagecast/protocol/schemas`). */

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const pollId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a poll id');

export const createPollSchema = z.object({
  question: text(POLL_LIMITS.questionMax),
  options: z
    .array(text(POLL_LIMITS.optionMax))
    .min(POLL_LIMITS.minOptions, `needs at least ${POLL_LIMITS.minOptions} options`)
    .max(POLL_LIMITS.maxOptions, `takes at most ${POLL_LIMITS.maxOptions} options`),
  multiple: z.boolean().default(false),
  anonymous: z.boolean().default(false),
  showResults: z.boolean().default(false),
}) satisfies z.ZodType<Required<CreatePollRequest>, CreatePollRequest>;

/** Option indexes; whether they exist in the poll is checked against the poll itself. */
export const votePollSchema = z.object({
  pollId,
  choices: z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(POLL_LIMITS.maxOptions - 1),
    )
    .min(1, 'choose at least one option')
    .max(POLL_LIMITS.maxOptions)
    .refine((c) => new Set(c).size === c.length, 'an option is chosen twice'),
});

export const closePollSchema = z.object({
  pollId,
  /** Show the final results to everyone. Default false. */
  shareResults: z.boolean().default(false),
});

/** The body of `POST /api/rooms/:id/polls/:pollId/close`. */
export const closePollBodySchema = closePollSchema.omit({ pollId: true });

export const pollRefSchema = z.object({ pollId });

export const sendReactionSchema = z.object({ emoji: z.enum(REACTIONS) });
