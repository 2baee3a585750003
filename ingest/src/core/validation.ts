import type { z } from 'zod';
import { badRequest } from './errors.js';
import type { Logger } from './logger.js';

/** Parses untrusted input; a failure becomes BAD_REQUEST naming the first bad field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw badRequest(`Invalid request: ${where}${issue?.message ?? 'malformed payload'}`);
}

/** JSON.parse that answers `undefined` for malformed text, for records read back from Redis. */
export function parseJsonOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads back a JSON record from Redis with the schema of what was written. A malformed record
 * (another version's, a hand edit, a half-written migration) is logged and reads as absent:
 * one bad key must not crash the process or fail every request that meets it.
 */
export function readRecord<S extends z.ZodType>(
  schema: S,
  raw: string | null | undefined,
  logger: Logger,
  what: string,
  context: Record<string, unknown> = {},
): z.infer<S> | null {
  if (raw === null || raw === undefined) return null;
  const parsed = schema.safeParse(parseJsonOrUndefined(raw));
  if (parsed.success) return parsed.data;
  logger.warn({ ...context, issue: parsed.error.issues[0]?.message }, `ignored a malformed ${what} in Redis`);
  return null;
}
