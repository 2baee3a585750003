import { describe, expect, it } from 'vitest';
import { clientIp } from './RateLimits.js';

const req = (remoteAddress: string, forwarded?: string) => ({
  headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  socket: { remoteAddress },
});

describe('clientIp', () => {
  it('uses the connection address and ignores X-Forwarded-For unless proxies are trusted', () => {
    expect(clientIp(req('::ffff:10.0.0.7', '1.2.3.4'), 0)).toBe('10.0.0.7');
  });

  it('takes the entry the outermost trusted proxy wrote, not what the client sent', () => {
    expect(clientIp(req('127.0.0.1', 'spoofed, 203.0.113.9'), 1)).toBe('203.0.113.9');
    expect(clientIp(req('127.0.0.1', 'spoofed, 203.0.113.9, 10.0.0.2'), 2)).toBe('203.0.113.9');
  });

  it('falls back to the connection address without the header', () => {
    expect(clientIp(req('127.0.0.1'), 1)).toBe('127.0.0.1');
  });
});
