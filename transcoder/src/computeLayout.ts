import type { StageSnapshot, StageTile } from '@stagecast/protocol';

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
  /** The active speaker's tile gets a border. */
  highlighted: boolean;
  /** The screen share in the share layout. */
  main: boolean;
}

/** The composite picture: a slate when nobody is on stage, a grid, or a share with a column. */
export interface Layout {
  width: number;
  height: number;
  kind: 'slate' | 'grid' | 'share';
  roomName: string;
  boxes: TileBox[];
}

// x264 and the yuv420p chroma planes need even sizes and offsets.
const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);

/** Largest 16:9 rect inside `w`×`h` (cameras and screens are mostly 16:9 or 4:3). */
function fit169(w: number, h: number): { w: number; h: number } {
  return w * 9 > h * 16 ? { w: even((h * 16) / 9), h: even(h) } : { w: even(w), h: even((w * 9) / 16) };
}

/**
 * Lays the stage out on a `width`×`height` picture. Pure: the same stage always gives the
 * same rects, so the session only restarts when the picture really changes.
 */
export function computeLayout(stage: StageSnapshot, width: number, height: number): Layout {
  const gap = even(Math.min(width, height) / 60);
  const screen = stage.tiles.find((t) => t.source === 'screen' && t.videoProducerId !== null);
  const ordered = screen ? [screen, ...stage.tiles.filter((t) => t !== screen)] : [...stage.tiles];
  const tiles = ordered.slice(0, MAX_TILES);
  const base = { width, height, roomName: stage.roomName };
  if (tiles.length === 0) return { ...base, kind: 'slate', boxes: [] };
  const highlighted = (tile: StageTile): boolean =>
    stage.activeSpeakerPeerId !== null && tile.peerId === stage.activeSpeakerPeerId && tile.source === 'camera';

  if (screen && tiles.length > 1) {
    const side = tiles.slice(1);
    const columnWidth = even(width * 0.22);
    const cellHeightMax = (height - gap * (side.length + 1)) / side.length;
    const cell = fit169(columnWidth, Math.min(cellHeightMax, (columnWidth * 9) / 16));
    const columnX = width - gap - columnWidth + even((columnWidth - cell.w) / 2);
    const columnHeight = side.length * cell.h + (side.length - 1) * gap;
    const top = even((height - columnHeight) / 2);
    const mainBox = { x: gap, y: gap, w: even(width - columnWidth - 3 * gap), h: even(height - 2 * gap) };
    return {
      ...base,
      kind: 'share',
      boxes: [
        { ...mainBox, tile: screen, highlighted: false, main: true },
        ...side.map((tile, i) => ({ x: columnX, y: top + i * (cell.h + gap), ...cell, tile, highlighted: highlighted(tile), main: false })),
      ],
    };
  }

  const n = tiles.length;
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cell = fit169((width - gap * (cols + 1)) / cols, (height - gap * (rows + 1)) / rows);
  const gridHeight = rows * cell.h + (rows - 1) * gap;
  const top = even((height - gridHeight) / 2);
  const boxes = tiles.map((tile, i) => {
    const row = Math.floor(i / cols);
    // The last row may be short: centre it.
    const inRow = row === rows - 1 ? n - row * cols : cols;
    const rowWidth = inRow * cell.w + (inRow - 1) * gap;
    const left = even((width - rowWidth) / 2);
    const col = i - row * cols;
    return { x: left + col * (cell.w + gap), y: top + row * (cell.h + gap), ...cell, tile, highlighted: highlighted(tile), main: false };
  });
  return { ...base, kind: 'grid', boxes };
}

/**
 * What makes two layouts draw the same picture from the same RTP: a new session is needed
 * exactly when this key changes.
 */
export function layoutKey(layout: Layout, audioProducerIds: readonly string[]): string {
  return JSON.stringify({
    kind: layout.kind,
    room: layout.roomName,
    boxes: layout.boxes.map((b) => [b.tile.peerId, b.tile.source, b.tile.videoProducerId, b.tile.name, b.highlighted, b.x, b.y, b.w, b.h]),
    audio: [...audioProducerIds].sort(),
  });
}

/** The same key without the highlight, to tell a speaker change from a structural one. */
export function structureKey(layout: Layout, audioProducerIds: readonly string[]): string {
  return layoutKey({ ...layout, boxes: layout.boxes.map((b) => ({ ...b, highlighted: false })) }, audioProducerIds);
}
