import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { liveWindowSegments } from './liveWindow.js';

describe('liveWindowSegments (DVR)', () => {
  it('DVR: keeps the window in segments, never fewer than the live window, and 0 turns it off', () => {
    expect(liveWindowSegments({ liveWindow: 10, dvrWindowSeconds: 1800, segmentSeconds: 2 })).toBe(900);
    expect(liveWindowSegments({ liveWindow: 10, dvrWindowSeconds: 1800, segmentSeconds: 1.5 })).toBe(1200);
    expect(liveWindowSegments({ liveWindow: 10, dvrWindowSeconds: 0, segmentSeconds: 2 })).toBe(10);
    expect(liveWindowSegments({ liveWindow: 10, dvrWindowSeconds: 5, segmentSeconds: 2 })).toBe(10);
  });

  it('DVR: STAGECAST_DVR_WINDOW_S defaults to 30 min and is validated', () => {
    const secret = { STAGECAST_API_SECRET: 'a-secret-of-at-least-32-characters' };
    expect(loadConfig(secret).broadcast.dvrWindowSeconds).toBe(1800);
    expect(loadConfig({ ...secret, STAGECAST_DVR_WINDOW_S: '0' }).broadcast.dvrWindowSeconds).toBe(0);
    expect(() => loadConfig({ ...secret, STAGECAST_DVR_WINDOW_S: '-1' })).toThrow(/STAGECAST_DVR_WINDOW_S/);
    expect(() => loadConfig({ ...secret, STAGECAST_DVR_WINDOW_S: '86400' })).toThrow(
      /STAGECAST_DVR_WINDOW_S/,
    );
  });
});
