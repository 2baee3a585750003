import { describe, expect, it } from 'vitest';
import type { StageSnapshot, StageTile } from '@stagecast/protocol';
import { computeLayout, layoutKey, structureKey, type Rect } from './computeLayout.js';

const tile = (i: number, over: Partial<StageTile> = {}): StageTile => ({ peerId: `p${i}`, name: `Person ${i}`, source: 'camera', videoProducerId: `v${i}`, ...over });
const stage = (tiles: StageTile[], speaker: string | null = null): StageSnapshot => ({ roomName: 'Room', tiles, audioProducerIds: [], activeSpeakerPeerId: speaker, version: 1 });
const rect = ({ x, y, w, h }: Rect) => ({ x, y, w, h });
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('computeLayout', () => {
  it('an empty stage is a slate', () => {
    expect(computeLayout(stage([]), 1280, 720)).toEqual({ width: 1280, height: 720, kind: 'slate', roomName: 'Room', boxes: [] });
  });

  it('one tile fills the picture (16:9, gaps)', () => {
    const [box] = computeLayout(stage([tile(0)]), 1280, 720).boxes;
    expect(box && rect(box)).toEqual({ x: 22, y: 12, w: 1236, h: 696 });
  });

  it('two tiles side by side, vertically centred', () => {
    const boxes = computeLayout(stage([tile(0), tile(1)]), 1280, 720).boxes.map(rect);
    expect(boxes).toEqual([
      { x: 12, y: 186, w: 622, h: 348 },
      { x: 646, y: 186, w: 622, h: 348 },
    ]);
  });

  it.each([3, 4, 5, 7, 9])('%i tiles: a grid inside the picture, nothing overlaps, even sizes', (n) => {
    const boxes = computeLayout(stage(Array.from({ length: n }, (_, i) => tile(i))), 1280, 720).boxes;
    expect(boxes).toHaveLength(n);
    for (const [i, a] of boxes.entries()) {
      expect(a.x % 2 + a.y % 2 + a.w % 2 + a.h % 2).toBe(0);
      expect(a.x + a.w).toBeLessThanOrEqual(1280);
      expect(a.y + a.h).toBeLessThanOrEqual(720);
      for (const b of boxes.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    }
  });

  it('more than nine people: nine tiles', () => {
    expect(computeLayout(stage(Array.from({ length: 12 }, (_, i) => tile(i))), 1280, 720).boxes).toHaveLength(9);
  });

  it('a screen share is large, cameras in a column beside it, the speaker highlighted', () => {
    const layout = computeLayout(stage([tile(0), tile(1), tile(0, { source: 'screen', videoProducerId: 's0' })], 'p1'), 1280, 720);
    expect(layout.kind).toBe('share');
    const [main, ...side] = layout.boxes;
    expect(main?.tile.source).toBe('screen');
    expect(main?.main).toBe(true);
    expect(side.map((b) => b.tile.peerId)).toEqual(['p0', 'p1']);
    expect(side.map((b) => b.highlighted)).toEqual([false, true]);
    for (const b of side) {
      expect(b.x).toBeGreaterThan((main?.x ?? 0) + (main?.w ?? 0));
      expect(b.w).toBeLessThan(main?.w ?? 0);
    }
  });

  it('the speaker with the camera off is still highlighted; a change of speaker only changes the highlight', () => {
    const a = computeLayout(stage([tile(0, { videoProducerId: null }), tile(1)], 'p0'), 1280, 720);
    const b = computeLayout(stage([tile(0, { videoProducerId: null }), tile(1)], 'p1'), 1280, 720);
    expect(a.boxes[0]?.highlighted).toBe(true);
    expect(layoutKey(a, [])).not.toBe(layoutKey(b, []));
    expect(structureKey(a, [])).toBe(structureKey(b, []));
    expect(layoutKey(a, ['m1'])).not.toBe(layoutKey(a, []));
  });
});
