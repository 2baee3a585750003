import type { z } from 'zod';
import { badRequest } from './errors.js';

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
