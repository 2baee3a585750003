import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT, LAYOUT_MODES } from '@stagecast/protocol';
import { compositorMessageSchema, layoutChoiceSchema } from './schemas.js';

describe('layoutChoiceSchema', () => {
  it('accepts every mode with a pin or null', () => {
    for (const mode of LAYOUT_MODES) {
      expect(layoutChoiceSchema.parse({ mode, pinnedPeerId: null })).toEqual({ mode, pinnedPeerId: null });
      expect(layoutChoiceSchema.parse({ mode, pinnedPeerId: 'p1' })).toEqual({ mode, pinnedPeerId: 'p1' });
    }
    expect(layoutChoiceSchema.parse(DEFAULT_LAYOUT)).toEqual(DEFAULT_LAYOUT);
  });

  it('refuses unknown modes, missing or malformed pins', () => {
    for (const input of [
      {},
      { mode: 'mosaic', pinnedPeerId: null },
      { mode: 'grid' },
      { mode: 'grid', pinnedPeerId: 1 },
      { mode: 'grid', pinnedPeerId: '' },
      { mode: 'grid', pinnedPeerId: 'x'.repeat(129) },
      null,
    ]) {
      expect(layoutChoiceSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });

  it('drops unknown fields', () => {
    expect(layoutChoiceSchema.parse({ mode: 'grid', pinnedPeerId: null, extra: 1 })).toEqual({
      mode: 'grid',
      pinnedPeerId: null,
    });
  });
});

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
