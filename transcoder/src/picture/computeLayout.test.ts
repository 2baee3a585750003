import { describe, expect, it } from 'vitest';
import { tile } from './testFixtures.js';
import { DEFAULT_LAYOUT, type LayoutChoice, type StageSnapshot, type StageTile } from '@stagecast/protocol';
import { computeLayout, MAX_TILES, onAirOf, type Layout, type Rect } from './computeLayout.js';

const W = 1280;
const H = 720;
const screenOf = (i: number): StageTile => tile(i, { source: 'screen', videoProducerId: `s${i}` });
const people = (n: number): StageTile[] => Array.from({ length: n }, (_, i) => tile(i));
const stage = (
  tiles: StageTile[],
  speaker: string | null = null,
  layout: Partial<LayoutChoice> = {},
): StageSnapshot => ({
  roomName: 'Room',
  tiles,
  audioProducerIds: [],
  activeSpeakerPeerId: speaker,
  layout: { ...DEFAULT_LAYOUT, ...layout },
  version: 1,
});
const rect = ({ x, y, w, h }: Rect): Rect => ({ x, y, w, h });
const overlaps = (a: Rect, b: Rect): boolean =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const ids = (layout: Layout): string[] => layout.boxes.map((b) => `${b.tile.source}:${b.tile.peerId}`);
const mainOf = (layout: Layout) => layout.boxes.filter((b) => b.main);
const highlightedOf = (layout: Layout): string[] =>
  layout.boxes.filter((b) => b.highlighted).map((b) => `${b.tile.source}:${b.tile.peerId}`);

/** Inside the picture, nothing overlaps, even offsets and sizes (x264 and yuv420p need them). */
function expectSound(layout: Layout): void {
  for (const [i, a] of layout.boxes.entries()) {
    expect([a.x % 2, a.y % 2, a.w % 2, a.h % 2], `box ${i}`).toEqual([0, 0, 0, 0]);
    expect(a.x).toBeGreaterThanOrEqual(0);
    expect(a.y).toBeGreaterThanOrEqual(0);
    expect(a.w).toBeGreaterThan(0);
    expect(a.h).toBeGreaterThan(0);
    expect(a.x + a.w).toBeLessThanOrEqual(layout.width);
    expect(a.y + a.h).toBeLessThanOrEqual(layout.height);
    for (const [j, b] of layout.boxes.slice(i + 1).entries())
      expect(overlaps(a, b), `boxes ${i} and ${i + 1 + j}`).toBe(false);
  }
}

describe('computeLayout: slate and grid geometry', () => {
  it('an empty stage is a slate, whatever the mode', () => {
    for (const mode of ['auto', 'grid', 'speaker', 'spotlight', 'share'] as const) {
      expect(computeLayout(stage([], 'p0', { mode, pinnedPeerId: 'p0' }), W, H)).toEqual({
        width: W,
        height: H,
        kind: 'slate',
        roomName: 'Room',
        boxes: [],
        lowerThird: null,
      });
    }
  });

  it('one tile fills the picture, 16:9 inside the gaps', () => {
    const layout = computeLayout(stage([tile(0)]), W, H);
    expect(layout.kind).toBe('grid');
    expect(layout.boxes.map(rect)).toEqual([{ x: 22, y: 12, w: 1236, h: 696 }]);
    expect(layout.boxes[0]).toMatchObject({ main: false, highlighted: false });
  });

  it('two tiles side by side, vertically centred', () => {
    expect(computeLayout(stage(people(2)), W, H).boxes.map(rect)).toEqual([
      { x: 12, y: 186, w: 622, h: 348 },
      { x: 646, y: 186, w: 622, h: 348 },
    ]);
  });

  it.each([3, 4, 5, 6, 7, 8, 9])('%i tiles: a grid inside the picture, nothing overlaps, even sizes', (n) => {
    const layout = computeLayout(stage(people(n)), W, H);
    expect(layout.kind).toBe('grid');
    expect(layout.boxes).toHaveLength(n);
    expectSound(layout);
    // Equal tiles, in stage order, rows from the top, left to right.
    expect(new Set(layout.boxes.map((b) => `${b.w}x${b.h}`)).size).toBe(1);
    expect(layout.boxes.map((b) => b.tile.peerId)).toEqual(people(n).map((t) => t.peerId));
    for (let i = 1; i < n; i++) {
      const [a, b] = [layout.boxes[i - 1]!, layout.boxes[i]!];
      expect(b.y > a.y || (b.y === a.y && b.x > a.x)).toBe(true);
    }
  });

  it('the last, shorter row is centred', () => {
    const boxes = computeLayout(stage(people(3)), W, H).boxes;
    const [a, b, c] = [boxes[0]!, boxes[1]!, boxes[2]!];
    expect(c.y).toBeGreaterThan(a.y);
    const left = c.x;
    const right = W - (c.x + c.w);
    expect(Math.abs(left - right)).toBeLessThanOrEqual(2);
    expect(c.x).toBeGreaterThan(a.x);
    expect(c.x + c.w).toBeLessThan(b.x + b.w);
  });

  it('more than nine people: the first nine', () => {
    const layout = computeLayout(stage(people(12)), W, H);
    expect(layout.boxes).toHaveLength(MAX_TILES);
    expect(layout.boxes.map((b) => b.tile.peerId)).toEqual(people(9).map((t) => t.peerId));
    expectSound(layout);
  });

  it('a screen share goes first even when the picture is full', () => {
    const layout = computeLayout(stage([...people(12), screenOf(11)], null, { mode: 'grid' }), W, H);
    expect(layout.boxes).toHaveLength(MAX_TILES);
    expect(ids(layout)[0]).toBe('screen:p11');
  });

  it('is pure: the same stage gives the same layout', () => {
    const s = stage([tile(0), screenOf(1), tile(1), tile(2)], 'p2');
    expect(computeLayout(s, W, H)).toEqual(computeLayout(s, W, H));
  });
});

describe('computeLayout: modes', () => {
  it('auto: a shared screen is large, the cameras in a strip beside it', () => {
    const layout = computeLayout(stage([tile(0), tile(1), screenOf(0)], 'p1'), W, H);
    expect(layout.kind).toBe('share');
    expect(ids(layout)).toEqual(['screen:p0', 'camera:p0', 'camera:p1']);
    expect(layout.boxes.map((b) => b.main)).toEqual([true, false, false]);
    expect(layout.boxes.map(rect)).toEqual([
      { x: 12, y: 12, w: 964, h: 696 },
      { x: 988, y: 198, w: 280, h: 156 },
      { x: 988, y: 366, w: 280, h: 156 },
    ]);
    expect(highlightedOf(layout)).toEqual(['camera:p1']);
  });

  it('auto: the speaker large and the others in a strip, once two or more are on stage', () => {
    const layout = computeLayout(stage(people(4), 'p2'), W, H);
    expect(layout.kind).toBe('speaker');
    expect(ids(layout)).toEqual(['camera:p2', 'camera:p0', 'camera:p1', 'camera:p3']);
    expect(mainOf(layout).map((b) => b.tile.peerId)).toEqual(['p2']);
    expectSound(layout);
    // The strip: small 16:9 tiles in a column right of the large one.
    const [main, ...strip] = layout.boxes;
    for (const b of strip) {
      expect(b.x).toBeGreaterThan(main!.x + main!.w);
      expect(b.w).toBeLessThan(main!.w);
      expect(Math.abs(b.w / b.h - 16 / 9)).toBeLessThan(0.05);
    }
    // The speaker is already large: no border anywhere.
    expect(highlightedOf(layout)).toEqual([]);
  });

  it('auto: the grid without a speaker, with one person, or with a speaker not on stage', () => {
    expect(computeLayout(stage(people(3)), W, H).kind).toBe('grid');
    expect(computeLayout(stage(people(3), 'p7'), W, H).kind).toBe('grid');
    const alone = computeLayout(stage([tile(0)], 'p0'), W, H);
    expect(alone.kind).toBe('grid');
    expect(alone.boxes[0]).toMatchObject({ main: false, highlighted: true });
  });

  it('auto: a screen tile without video is not a share', () => {
    const layout = computeLayout(
      stage([tile(0), tile(1), tile(0, { source: 'screen', videoProducerId: null })]),
      W,
      H,
    );
    expect(layout.kind).toBe('grid');
    expect(ids(layout)).toEqual(['camera:p0', 'camera:p1', 'screen:p0']);
  });

  it('the speaker the job holds on to wins over the reported one', () => {
    const layout = computeLayout(stage(people(3), 'p2'), W, H, 'p1');
    expect(mainOf(layout).map((b) => b.tile.peerId)).toEqual(['p1']);
    expect(computeLayout(stage(people(3), 'p2'), W, H, null).kind).toBe('grid');
  });

  it('grid: equal tiles even with a screen share and a speaker; the screen is a normal tile', () => {
    const layout = computeLayout(stage([tile(0), tile(1), screenOf(1)], 'p0', { mode: 'grid' }), W, H);
    expect(layout.kind).toBe('grid');
    expect(ids(layout)).toEqual(['screen:p1', 'camera:p0', 'camera:p1']);
    expect(layout.boxes.every((b) => !b.main)).toBe(true);
    expect(new Set(layout.boxes.map((b) => `${b.w}x${b.h}`)).size).toBe(1);
    expect(highlightedOf(layout)).toEqual(['camera:p0']);
    expectSound(layout);
  });

  it('speaker: the speaker large even while a screen is shared; the grid without a speaker', () => {
    const layout = computeLayout(stage([tile(0), tile(1), screenOf(0)], 'p1', { mode: 'speaker' }), W, H);
    expect(layout.kind).toBe('speaker');
    expect(ids(layout)).toEqual(['camera:p1', 'screen:p0', 'camera:p0']);
    expect(highlightedOf(layout)).toEqual([]);
    expect(computeLayout(stage(people(3), null, { mode: 'speaker' }), W, H).kind).toBe('grid');
  });

  it('speaker: a speaker with the camera off still takes the large tile', () => {
    const layout = computeLayout(
      stage([tile(0), tile(1, { videoProducerId: null })], 'p1', { mode: 'speaker' }),
      W,
      H,
    );
    expect(ids(layout)[0]).toBe('camera:p1');
    expect(layout.boxes[0]?.main).toBe(true);
  });

  it('spotlight: the pinned person large, the speaker highlighted in the strip', () => {
    const layout = computeLayout(stage(people(4), 'p1', { mode: 'spotlight', pinnedPeerId: 'p3' }), W, H);
    expect(layout.kind).toBe('spotlight');
    expect(ids(layout)).toEqual(['camera:p3', 'camera:p0', 'camera:p1', 'camera:p2']);
    expect(highlightedOf(layout)).toEqual(['camera:p1']);
    expectSound(layout);
  });

  it('spotlight: the pinned person is not highlighted on the large tile even when speaking', () => {
    const layout = computeLayout(stage(people(3), 'p2', { mode: 'spotlight', pinnedPeerId: 'p2' }), W, H);
    expect(mainOf(layout).map((b) => b.tile.peerId)).toEqual(['p2']);
    expect(highlightedOf(layout)).toEqual([]);
  });

  it("spotlight: the pinned peer's camera rather than their screen; the screen when that is all there is", () => {
    const both = computeLayout(
      stage([tile(0), screenOf(1), tile(1)], null, { mode: 'spotlight', pinnedPeerId: 'p1' }),
      W,
      H,
    );
    expect(both.kind).toBe('spotlight');
    expect(ids(both)).toEqual(['camera:p1', 'screen:p1', 'camera:p0']);
    const screenOnly = computeLayout(
      stage([tile(0), screenOf(5)], null, { mode: 'spotlight', pinnedPeerId: 'p5' }),
      W,
      H,
    );
    expect(ids(screenOnly)[0]).toBe('screen:p5');
    expect(screenOnly.kind).toBe('spotlight');
  });

  it('spotlight: the pinned person left → the speaker; no speaker either → the grid', () => {
    const toSpeaker = computeLayout(
      stage(people(3), 'p0', { mode: 'spotlight', pinnedPeerId: 'gone' }),
      W,
      H,
    );
    expect(toSpeaker.kind).toBe('speaker');
    expect(mainOf(toSpeaker).map((b) => b.tile.peerId)).toEqual(['p0']);
    const toGrid = computeLayout(stage(people(3), null, { mode: 'spotlight', pinnedPeerId: 'gone' }), W, H);
    expect(toGrid.kind).toBe('grid');
    // Nobody pinned at all is the same as someone who left.
    expect(computeLayout(stage(people(3), 'p1', { mode: 'spotlight', pinnedPeerId: null }), W, H).kind).toBe(
      'speaker',
    );
  });

  it('share: the screen large; the grid when nobody shares (not the speaker)', () => {
    const sharing = computeLayout(stage([tile(0), tile(1), screenOf(1)], 'p1', { mode: 'share' }), W, H);
    expect(sharing.kind).toBe('share');
    expect(ids(sharing)).toEqual(['screen:p1', 'camera:p0', 'camera:p1']);
    // The sharer speaking: their camera in the strip has the border, the screen never.
    expect(highlightedOf(sharing)).toEqual(['camera:p1']);
    const nobody = computeLayout(stage(people(3), 'p1', { mode: 'share' }), W, H);
    expect(nobody.kind).toBe('grid');
    expect(highlightedOf(nobody)).toEqual(['camera:p1']);
  });

  it('a single tile is a grid in every mode', () => {
    for (const mode of ['auto', 'grid', 'speaker', 'spotlight', 'share'] as const) {
      const layout = computeLayout(stage([screenOf(0)], 'p0', { mode, pinnedPeerId: 'p0' }), W, H);
      expect(layout.kind, mode).toBe('grid');
      expect(layout.boxes.map(rect)).toEqual([{ x: 22, y: 12, w: 1236, h: 696 }]);
    }
  });

  it('a speaker with only a screen tile (no camera tile) gets no border', () => {
    const layout = computeLayout(stage([tile(0), tile(1), screenOf(5)], 'p5', { mode: 'grid' }), W, H);
    expect(highlightedOf(layout)).toEqual([]);
    expect(computeLayout(stage([tile(0), tile(1), screenOf(5)], 'p5'), W, H).kind).toBe('share');
  });

  it('a strip of eight stays inside the picture', () => {
    const layout = computeLayout(stage([...people(8), screenOf(0)], 'p7'), W, H);
    expect(layout.kind).toBe('share');
    expect(layout.boxes).toHaveLength(9);
    expectSound(layout);
    expect(highlightedOf(layout)).toEqual(['camera:p7']);
  });

  it('highlight: only ever the speaker, never a main tile', () => {
    const stages = [
      stage([tile(0), tile(1), screenOf(0)], 'p0'),
      stage(people(5), 'p3', { mode: 'speaker' }),
      stage(people(5), 'p3', { mode: 'spotlight', pinnedPeerId: 'p3' }),
      stage(people(5), 'p3', { mode: 'spotlight', pinnedPeerId: 'p1' }),
      stage(people(5), 'p3', { mode: 'grid' }),
      stage([tile(0), screenOf(0)], 'p0', { mode: 'share' }),
      // The speaker shares a screen: the border goes on their camera, never on the screen.
      stage([tile(0), tile(1), screenOf(1)], 'p1', { mode: 'grid' }),
      stage([tile(0), tile(1), screenOf(1), screenOf(0)], 'p0', { mode: 'spotlight', pinnedPeerId: 'p1' }),
    ];
    for (const s of stages) {
      const layout = computeLayout(s, W, H);
      const lit = layout.boxes.filter((b) => b.highlighted);
      expect(lit.length).toBeLessThanOrEqual(1);
      for (const b of lit) {
        expect(b.main).toBe(false);
        expect(b.tile.peerId).toBe(s.activeSpeakerPeerId);
        expect(b.tile.source).toBe('camera');
      }
    }
  });
});

describe('onAirOf', () => {
  it('the kind, the number of tiles, and each person once in tile order', () => {
    const layout = computeLayout(stage([tile(2), tile(0), screenOf(0)], 'p2'), W, H);
    expect(onAirOf(layout)).toEqual({ kind: 'share', tiles: 3, peerIds: ['p0', 'p2'] });
    expect(onAirOf(computeLayout(stage(people(3), 'p1', { mode: 'speaker' }), W, H))).toEqual({
      kind: 'speaker',
      tiles: 3,
      peerIds: ['p1', 'p0', 'p2'],
    });
    expect(onAirOf(computeLayout(stage([]), W, H))).toEqual({ kind: 'slate', tiles: 0, peerIds: [] });
  });
});
