import { z } from 'zod';

/** Readers of single environment values: text in, a checked value out, with a message for people. */

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const flag = z.enum(['true', 'false'], 'must be "true" or "false"').transform((v) => v === 'true');

export const trustProxy = z.union([
  z.enum(['true', 'false']).transform((v) => (v === 'true' ? 1 : 0)),
  integer(0, 10),
]);

export const ip = z.union([z.ipv4(), z.ipv6()], 'must be an IP address');

/** `https://example.com` or `http://host:8080`: scheme, host and port only. */
const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be origins such as https://example.com (scheme, host and optional port; no path)');

export const origins = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim().replace(/\/$/, ''))
      .filter((part) => part !== ''),
  )
  .pipe(z.array(origin).min(1, 'must name at least one origin'));

/**
 * CSP sources: keywords, `*`, schemes and host sources. `;` and `,` would end the directive or
 * the header, so they are refused.
 */
export const sourceList = z
  .string()
  .regex(
    /^\s*('self'|'none'|[^\s;,']+)(\s+('self'|'none'|[^\s;,']+))*\s*$/,
    "must be CSP sources such as 'self' https://example.com",
  )
  .transform((value) => value.trim().split(/\s+/).join(' '));

export const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port')
  .transform((value) => {
    const at = value.lastIndexOf(':');
    return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(value.slice(at + 1)) };
  })
  .pipe(z.object({ host: z.string(), port: z.number().max(65535, 'port must be at most 65535') }));
