import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT, LAYOUT_MODES } from './model.js';
import { broadcastRecordSchema, layoutChoiceSchema } from './schemas.js';

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

describe('broadcastRecordSchema', () => {
  const record = {
    wanted: 'live',
    live: {
      state: 'live',
      broadcastId: 'b1',
      hlsUrl: '/hls/r/master.m3u8',
      startedAt: '2026-01-01T00:00:00Z',
    },
  };

  it('reads what ingest writes, and keeps fields a newer version added', () => {
    expect(broadcastRecordSchema.parse(record)).toEqual(record);
    const newer = { ...record, live: { ...record.live, viewers: 3 }, note: 'x' };
    expect(broadcastRecordSchema.parse(newer)).toEqual(newer);
  });

  it('refuses records that do not say what is wanted or where the broadcast is', () => {
    for (const input of [
      {},
      { wanted: 'paused', live: record.live },
      { wanted: 'live', live: { state: 'on air' } },
      { wanted: 'live', live: { state: 'live', broadcastId: 7 } },
      'live',
    ]) {
      expect(broadcastRecordSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });
});
