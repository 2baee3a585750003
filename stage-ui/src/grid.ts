export interface GridLayout {
  cols: number;
  /** Width of one tile in px; tiles keep the aspect ratio. */
  tileWidth: number;
}

/**
 * The column count that gives the biggest tiles for `count` tiles of `aspect` (width/height)
 * in a `width`×`height` box with `gap` px between tiles. Two people side by side on a laptop,
 * stacked on a phone held upright.
 */
export function bestGrid(count: number, width: number, height: number, gap = 8, aspect = 16 / 9): GridLayout {
  if (count <= 0 || width <= 0 || height <= 0) return { cols: 1, tileWidth: Math.max(0, width) };
  let best: GridLayout = { cols: 1, tileWidth: 0 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const byWidth = (width - gap * (cols - 1)) / cols;
    const byHeight = ((height - gap * (rows - 1)) / rows) * aspect;
    const tileWidth = Math.floor(Math.min(byWidth, byHeight));
    if (tileWidth > best.tileWidth) best = { cols, tileWidth };
  }
  return best;
}
