import { describe, expect, it } from 'vitest';
import { compositorMessageSchema } from './schemas.js';

describe('compositorMessageSchema', () => {
  it('takes the feed handshake', () => {
    const bind = {
      type: 'bind',
      roomId: 'r',
      feedId: 'f1',
      host: '127.0.0.1',
      producerId: 'p',
      rtpPort: 5000,
      rtcpPort: 5001,
    };
    expect(compositorMessageSchema.parse(bind)).toEqual(bind);
    expect(compositorMessageSchema.parse({ type: 'keyFrame', roomId: 'r', feedId: 'f1' }).type).toBe(
      'keyFrame',
    );
    expect(compositorMessageSchema.parse({ type: 'release', roomId: 'r', feedId: 'f1' }).type).toBe(
      'release',
    );
  });

  it('refuses the old session handshake and bad ports', () => {
    for (const input of [
      { type: 'listening', roomId: 'r', sessionId: 's' },
      { type: 'bind', roomId: 'r', sessionId: 's', host: '127.0.0.1', ports: [] },
      { type: 'release', roomId: 'r', sessionId: 's' },
      {
        type: 'bind',
        roomId: 'r',
        feedId: 'f1',
        host: '127.0.0.1',
        producerId: 'p',
        rtpPort: 0,
        rtcpPort: 5001,
      },
      { type: 'bind', roomId: 'r', feedId: 'f1', host: '', producerId: 'p', rtpPort: 5000, rtcpPort: 5001 },
    ]) {
      expect(compositorMessageSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });
});
