import { describe, expect, it } from 'vitest';
import { isRestreamUrl, maskStreamKey, restreamTarget } from './restream.js';
import { restreamInputSchema } from './restreamSchemas.js';

describe('restream helpers', () => {
  it('takes rtmp:// and rtmps:// URLs with a host, nothing else', () => {
    expect(isRestreamUrl('rtmp://a.rtmp.youtube.com/live2')).toBe(true);
    expect(isRestreamUrl('rtmps://live-api-s.facebook.com:443/rtmp/')).toBe(true);
    for (const url of [
      'http://example.com/live',
      'https://example.com/live',
      'file:///etc/passwd',
      'rtmp://user:secret@example.com/live',
      'rtmp:///live',
      'rtmp://example.com/li ve',
      'not a url',
      `rtmp://example.com/${'a'.repeat(600)}`,
    ])
      expect(isRestreamUrl(url), url).toBe(false);
  });

  it('masks a key, showing its last four characters only when it is long', () => {
    expect(maskStreamKey('abcd-efgh-ijkl-mnop')).toBe('••••mnop');
    expect(maskStreamKey('short-key')).toBe('••••');
  });

  it('publishes to the URL with the key as its last path segment', () => {
    expect(restreamTarget('rtmp://live.twitch.tv/app/', 'live_1_x')).toBe(
      'rtmp://live.twitch.tv/app/live_1_x',
    );
    expect(restreamTarget('rtmp://host/live', 'k')).toBe('rtmp://host/live/k');
  });

  it('refuses a missing or empty key, and one with spaces', () => {
    const base = { label: 'YouTube', url: 'rtmp://host/live' };
    expect(restreamInputSchema.safeParse(base).success).toBe(false);
    expect(restreamInputSchema.safeParse({ ...base, streamKey: '' }).success).toBe(false);
    expect(restreamInputSchema.safeParse({ ...base, streamKey: 'a b' }).success).toBe(false);
    expect(restreamInputSchema.safeParse({ ...base, streamKey: 'abc-123' }).success).toBe(true);
  });
});
