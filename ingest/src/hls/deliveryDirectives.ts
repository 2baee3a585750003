import { z } from 'zod';
import { badRequest } from '../core/errors.js';
import { parse } from '../core/validation.js';

/** The delivery directives of a playlist request (RFC 8216bis §6.2.5). */
export interface DeliveryDirectives {
  /** `_HLS_msn`: hold until this segment (or, with `part`, this part of it) exists. */
  msn: number | undefined;
  /** `_HLS_part`: the part index within `msn`. */
  part: number | undefined;
  /** `_HLS_skip=YES|v2`: answer with a Playlist Delta Update. */
  skip: boolean;
}

const index = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a decimal integer')
  .transform(Number);

const schema = z
  .object({
    _HLS_msn: index.optional(),
    _HLS_part: index.optional(),
    // No date ranges are ever written, so v2 skips exactly what YES skips.
    _HLS_skip: z.enum(['YES', 'v2']).optional(),
  })
  // `_HLS_` names are reserved by the spec: one we do not know is a client bug, not a cache buster.
  .catchall(z.never());

/**
 * Reads the `_HLS_` query parameters; other parameters (cache busters, tokens) are ignored.
 * Throws BAD_REQUEST for a malformed, repeated or unknown directive, and for `_HLS_part`
 * without `_HLS_msn` (§6.2.5.2).
 */
export function parseDeliveryDirectives(query: URLSearchParams): DeliveryDirectives {
  const raw: Record<string, string> = {};
  for (const [key, value] of query) {
    if (!key.startsWith('_HLS_')) continue;
    if (key in raw) throw badRequest(`Invalid request: ${key} is given twice`);
    raw[key] = value;
  }
  const directives = parse(schema, raw);
  if (directives._HLS_part !== undefined && directives._HLS_msn === undefined)
    throw badRequest('Invalid request: _HLS_part needs _HLS_msn');
  return {
    msn: directives._HLS_msn,
    part: directives._HLS_part,
    skip: directives._HLS_skip !== undefined,
  };
}
