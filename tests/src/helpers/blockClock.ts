/**
 * A machine-readable wall clock painted as large black and white cells, for true glass-to-glass
 * latency: a source page paints `Date.now()` into its picture every frame, a reader decodes it
 * from the picture it shows (WebRTC or HLS, possibly scaled into a tile of the composite) and
 * subtracts it from its own clock. Blocks, not text: H.264 at low bitrates, scaling and blur
 * smear the edges of a cell but not its middle.
 *
 * Layout: a 16 × 9 grid (16:9, like the camera pictures the compositor tiles). The outer ring
 * is a checkerboard (it pins the grid to the picture when locating it); of the 14 × 7 inner
 * cells the first 64 carry 48 bits of milliseconds and a CRC-16, the rest are a checkerboard
 * too (they set the black/white threshold of this very frame). Pure: no DOM.
 */

export const CLOCK_COLUMNS = 16;
export const CLOCK_ROWS = 9;
const TIME_BITS = 48;
const CRC_BITS = 16;
const DATA_BITS = TIME_BITS + CRC_BITS;

/** What a frame's pixels look like to the codec: an ImageData (RGBA, row by row). */
export interface ClockImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** A rectangle of an image, in its pixels. */
export interface ClockRegion {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The part of a 2D canvas context the painter uses. */
export interface RectPainter {
  fillStyle: string | CanvasGradient | CanvasPattern;
  fillRect(x: number, y: number, w: number, h: number): void;
}

type Cell = { column: number; row: number };

const ring: Cell[] = [];
const data: Cell[] = [];
const innerKnown: Cell[] = [];
for (let row = 0; row < CLOCK_ROWS; row++) {
  for (let column = 0; column < CLOCK_COLUMNS; column++) {
    const outer = row === 0 || column === 0 || row === CLOCK_ROWS - 1 || column === CLOCK_COLUMNS - 1;
    if (outer) ring.push({ column, row });
    else if (data.length < DATA_BITS) data.push({ column, row });
    else innerKnown.push({ column, row });
  }
}
const known = [...ring, ...innerKnown];
const knownWhite = (c: Cell) => (c.column + c.row) % 2 === 0;

/** CRC-16/CCITT-FALSE of the time's six bytes: a misread cell never passes for a time. */
function crc16(bytes: number[]): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The six bytes of a 48-bit time, most significant first (arithmetic: bit operators are 32-bit). */
function timeBytes(timeMs: number): number[] {
  return Array.from({ length: TIME_BITS / 8 }, (_, i) => Math.floor(timeMs / 2 ** (8 * (5 - i))) % 256);
}

/** The data cells' bits for a time: 48 bits of ms, then the CRC, most significant first. */
export function clockBits(timeMs: number): boolean[] {
  const t = Math.floor(timeMs);
  if (!(t >= 0 && t < 2 ** TIME_BITS)) throw new RangeError(`time out of range: ${timeMs}`);
  const crc = crc16(timeBytes(t));
  const bits: boolean[] = [];
  for (let i = TIME_BITS - 1; i >= 0; i--) bits.push(Math.floor(t / 2 ** i) % 2 === 1);
  for (let i = CRC_BITS - 1; i >= 0; i--) bits.push(((crc >> i) & 1) === 1);
  return bits;
}

/** Paints the clock of `timeMs` over the whole `width` × `height` area of a canvas. */
export function paintClock(ctx: RectPainter, width: number, height: number, timeMs: number): void {
  const bits = clockBits(timeMs);
  const cw = width / CLOCK_COLUMNS;
  const ch = height / CLOCK_ROWS;
  const fill = (c: Cell, white: boolean) => {
    ctx.fillStyle = white ? '#ffffff' : '#000000';
    // Whole pixels: no anti-aliased seams between cells.
    const x = Math.round(c.column * cw);
    const y = Math.round(c.row * ch);
    ctx.fillRect(x, y, Math.round((c.column + 1) * cw) - x, Math.round((c.row + 1) * ch) - y);
  };
  for (const c of known) fill(c, knownWhite(c));
  data.forEach((c, i) => fill(c, bits[i] === true));
}

/**
 * Sums of luminance over the image, so that the mean of any rectangle costs four reads
 * (the locator tries thousands of rectangles).
 */
class LuminanceTable {
  private readonly sums: Float64Array;
  readonly width: number;
  readonly height: number;

  constructor(image: ClockImage) {
    this.width = image.width;
    this.height = image.height;
    const w = image.width + 1;
    this.sums = new Float64Array(w * (image.height + 1));
    const d = image.data;
    for (let y = 0; y < image.height; y++) {
      let row = 0;
      for (let x = 0; x < image.width; x++) {
        const p = (y * image.width + x) * 4;
        row += 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]!;
        this.sums[(y + 1) * w + x + 1] = this.sums[y * w + x + 1]! + row;
      }
    }
  }

  /** Mean luminance of [x0, x1) × [y0, y1), clipped to the image. */
  mean(x0: number, y0: number, x1: number, y1: number): number {
    const ax = clamp(Math.round(x0), 0, this.width);
    const ay = clamp(Math.round(y0), 0, this.height);
    const bx = clamp(Math.max(Math.round(x1), ax + 1), 0, this.width);
    const by = clamp(Math.max(Math.round(y1), ay + 1), 0, this.height);
    const area = (bx - ax) * (by - ay);
    if (area <= 0) return 0;
    const w = this.width + 1;
    const s = this.sums;
    return (s[by * w + bx]! - s[ay * w + bx]! - s[by * w + ax]! + s[ay * w + ax]!) / area;
  }

  /** Mean over the middle half of a cell of the grid laid over `r`: its blurred edges left out. */
  cell(r: ClockRegion, c: Cell): number {
    const cw = r.w / CLOCK_COLUMNS;
    const ch = r.h / CLOCK_ROWS;
    const x = r.x + (c.column + 0.25) * cw;
    const y = r.y + (c.row + 0.25) * ch;
    return this.mean(x, y, x + cw / 2, y + ch / 2);
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** How well the known cells over `r` look like the checkerboard: white mean − black mean, 0–255. */
function contrast(table: LuminanceTable, r: ClockRegion, cells: Cell[]): number {
  let white = 0;
  let black = 0;
  let whites = 0;
  for (const c of cells) {
    const v = table.cell(r, c);
    if (knownWhite(c)) {
      white += v;
      whites++;
    } else black += v;
  }
  return white / whites - black / (cells.length - whites);
}

function decodeWith(table: LuminanceTable, r: ClockRegion): number | null {
  let white = 0;
  let black = 0;
  for (const c of innerKnown) {
    if (knownWhite(c)) white += table.cell(r, c);
    else black += table.cell(r, c);
  }
  const half = innerKnown.length / 2;
  white /= Math.ceil(half);
  black /= Math.floor(half);
  // Less than this between white and black: not the clock (or a frame too damaged to read).
  if (white - black < 40) return null;
  const threshold = (white + black) / 2;
  const bits = data.map((c) => table.cell(r, c) > threshold);
  let t = 0;
  for (let i = 0; i < TIME_BITS; i++) t = t * 2 + (bits[i] ? 1 : 0);
  let crc = 0;
  for (let i = TIME_BITS; i < DATA_BITS; i++) crc = (crc << 1) | (bits[i] ? 1 : 0);
  return crc === crc16(timeBytes(t)) ? t : null;
}

/** The time painted in `region` of the image (the whole image by default), or null if unreadable. */
export function decodeClock(image: ClockImage, region?: ClockRegion): number | null {
  const table = new LuminanceTable(image);
  return decodeWith(table, region ?? { x: 0, y: 0, w: image.width, h: image.height });
}

/** The hill-climb's moves: one pixel right, left, down, up, wider, narrower, wider about the middle. */
const STEPS: [number, number, number][] = [
  [1, 0, 0],
  [-1, 0, 0],
  [0, 1, 0],
  [0, -1, 0],
  [0, 0, 1],
  [0, 0, -1],
  [-1, 0, 2],
  [1, 0, -2],
];

/**
 * Finds the clock in a picture where it may be scaled into any 16:9 rectangle (a tile of the
 * composite) at least `minWidth` pixels wide: the rectangle whose known cells contrast most,
 * searched coarsely and then refined, kept only if its cells decode. Null when not found.
 */
export function locateClock(image: ClockImage, minWidth = 64): ClockRegion | null {
  const table = new LuminanceTable(image);
  const maxWidth = Math.min(image.width, (image.height * 16) / 9);
  const region = (x: number, y: number, w: number) => ({ x, y, w, h: (w * 9) / 16 });
  let best: { r: ClockRegion; score: number }[] = [];
  // Steps of half a cell: the middle half of each cell still falls mostly inside it.
  for (let w = maxWidth; w >= minWidth; w -= w / 32) {
    const step = Math.max(1, w / 32);
    const h = (w * 9) / 16;
    for (let y = 0; y + h <= image.height; y += step) {
      for (let x = 0; x + w <= image.width; x += step) {
        const r = region(x, y, w);
        const score = contrast(table, r, ring);
        if (best.length < 8 || score > best[best.length - 1]!.score) {
          best.push({ r, score });
          best.sort((a, b) => b.score - a.score);
          best = best.slice(0, 8);
        }
      }
    }
  }
  for (const { r } of best) {
    let current = r;
    let score = contrast(table, r, known);
    // Hill-climb one pixel at a time from the coarse match.
    for (let improved = true; improved;) {
      improved = false;
      for (const [dx, dy, dw] of STEPS) {
        const next = region(current.x + dx, current.y + dy, current.w + dw);
        if (next.x < 0 || next.y < 0 || next.x + next.w > image.width || next.y + next.h > image.height)
          continue;
        const s = contrast(table, next, known);
        if (s > score) {
          score = s;
          current = next;
          improved = true;
        }
      }
    }
    if (decodeWith(table, current) !== null) return current;
  }
  return null;
}
