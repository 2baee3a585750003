import type { LowerThird, OnAirLayout, StageSnapshot, StageTile } from '@stagecast/protocol';

/** The most tiles one picture holds; more people than this are left out of the picture. */
export const MAX_TILES = 9;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where one stage tile goes in the composite. */
export interface TileBox extends Rect {
  tile: StageTile;
  /** The active speaker's tile gets a border (not when the speaker is the large tile). */
  highlighted: boolean;
  /** The large tile of a focus layout (share, speaker, spotlight). */
  main: boolean;
}

/** The composite picture: a slate when nobody is on stage, a grid, or one large tile and a strip. */
export interface Layout {
  width: number;
  height: number;
  kind: OnAirLayout['kind'];
  roomName: string;
  boxes: TileBox[];
  /** The highlighted question, drawn over the bottom of the picture; null when none. */
  lowerThird: LowerThird | null;
}

// x264 and the yuv420p chroma planes need even sizes and offsets.
const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);
/** An even offset: unlike a size, it may be 0. */
const evenOffset = (n: number): number => Math.floor(n / 2) * 2;

/** Largest 16:9 rect inside `w`×`h` (cameras and screens are mostly 16:9 or 4:3). */
function fit169(w: number, h: number): { w: number; h: number } {
  return w * 9 > h * 16 ? { w: even((h * 16) / 9), h: even(h) } : { w: even(w), h: even((w * 9) / 16) };
}

/**
 * Lays the stage out on a `width`×`height` picture, following the hosts' choice
 * (`stage.layout`). `speakerPeerId` is the speaker the picture follows: the job holds a new
 * speaker back for a while so that the large tile does not flicker between voices. Pure: the
 * same input always gives the same rects.
 */
export function computeLayout(
  stage: StageSnapshot,
  width: number,
  height: number,
  speakerPeerId = stage.activeSpeakerPeerId,
): Layout {
  const gap = even(Math.min(width, height) / 60);
  const screen = stage.tiles.find((t) => t.source === 'screen' && t.videoProducerId !== null);
  const ordered = screen ? [screen, ...stage.tiles.filter((t) => t !== screen)] : [...stage.tiles];
  const tiles = ordered.slice(0, MAX_TILES);
  const base = { width, height, roomName: stage.roomName, lowerThird: stage.lowerThird ?? null };
  if (tiles.length === 0) return { ...base, kind: 'slate', boxes: [] };
  const camera = (peerId: string | null) => tiles.find((t) => t.peerId === peerId && t.source === 'camera');
  const speaker = camera(speakerPeerId);
  const highlighted = (tile: StageTile): boolean => speaker !== undefined && tile === speaker;

  const focus = (kind: 'share' | 'speaker' | 'spotlight', main: StageTile): Layout => ({
    ...base,
    kind,
    boxes: focusBoxes(
      main,
      tiles.filter((t) => t !== main),
      width,
      height,
      gap,
    ).map((b) => ({ ...b, highlighted: !b.main && highlighted(b.tile) })),
  });
  if (tiles.length > 1) {
    const { mode, pinnedPeerId } = stage.layout;
    const pinned = camera(pinnedPeerId) ?? tiles.find((t) => t.peerId === pinnedPeerId);
    if ((mode === 'share' || mode === 'auto') && screen) return focus('share', screen);
    if (mode === 'spotlight' && pinned) return focus('spotlight', pinned);
    // A spotlight on someone who left falls back to the speaker.
    if ((mode === 'speaker' || mode === 'auto' || mode === 'spotlight') && speaker)
      return focus('speaker', speaker);
  }
  return {
    ...base,
    kind: 'grid',
    boxes: gridBoxes(tiles, width, height, gap).map((b) => ({
      ...b,
      highlighted: highlighted(b.tile),
      main: false,
    })),
  };
}

/** One large tile on the left, the others in a column on the right. */
function focusBoxes(
  main: StageTile,
  side: StageTile[],
  width: number,
  height: number,
  gap: number,
): (Rect & { tile: StageTile; main: boolean })[] {
  const columnWidth = even(width * 0.22);
  const cellHeightMax = (height - gap * (side.length + 1)) / side.length;
  const cell = fit169(columnWidth, Math.min(cellHeightMax, (columnWidth * 9) / 16));
  const columnX = width - gap - columnWidth + evenOffset((columnWidth - cell.w) / 2);
  const columnHeight = side.length * cell.h + (side.length - 1) * gap;
  const top = even((height - columnHeight) / 2);
  const mainBox = { x: gap, y: gap, w: even(width - columnWidth - 3 * gap), h: even(height - 2 * gap) };
  return [
    { ...mainBox, tile: main, main: true },
    ...side.map((tile, i) => ({ x: columnX, y: top + i * (cell.h + gap), ...cell, tile, main: false })),
  ];
}

/** Equal 16:9 tiles, rows centred, the last (short) row centred too. */
function gridBoxes(
  tiles: StageTile[],
  width: number,
  height: number,
  gap: number,
): (Rect & { tile: StageTile })[] {
  const n = tiles.length;
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cell = fit169((width - gap * (cols + 1)) / cols, (height - gap * (rows + 1)) / rows);
  const gridHeight = rows * cell.h + (rows - 1) * gap;
  const top = even((height - gridHeight) / 2);
  return tiles.map((tile, i) => {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? n - row * cols : cols;
    const rowWidth = inRow * cell.w + (inRow - 1) * gap;
    const left = even((width - rowWidth) / 2);
    const col = i - row * cols;
    return { x: left + col * (cell.w + gap), y: top + row * (cell.h + gap), ...cell, tile };
  });
}

/** What viewers see, as reported to hosts and in `GET /api/rooms/:id`. */
export function onAirOf(layout: Layout): OnAirLayout {
  return {
    kind: layout.kind,
    tiles: layout.boxes.length,
    peerIds: [...new Set(layout.boxes.map((b) => b.tile.peerId))],
    // Only while one is on air: reports stay as they were for rooms without Q&A.
    ...(layout.lowerThird ? { lowerThird: layout.lowerThird.text } : {}),
  };
}
