import { describe, expect, it } from 'vitest';
import { clockBits, decodeClock, locateClock, paintClock, type ClockImage } from './blockClock.js';

/** A canvas of RGBA pixels that paints filled rectangles, like a 2D context's fillRect. */
class PixelCanvas implements ClockImage {
  readonly data: Uint8ClampedArray;
  fillStyle: string | CanvasGradient | CanvasPattern = '#000000';

  constructor(
    readonly width: number,
    readonly height: number,
    gray = 0,
  ) {
    this.data = new Uint8ClampedArray(width * height * 4).fill(gray);
  }

  fillRect(x: number, y: number, w: number, h: number): void {
    const hex = typeof this.fillStyle === 'string' ? this.fillStyle : '#000000';
    const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
    for (let py = Math.max(0, y); py < Math.min(this.height, y + h); py++) {
      for (let px = Math.max(0, x); px < Math.min(this.width, x + w); px++) {
        const p = (py * this.width + px) * 4;
        this.data.set([...rgb, 255], p);
      }
    }
  }
}

/** Bilinear scaling of `src` into the rectangle of `dst` (what the compositor's scale does). */
function scaleInto(src: ClockImage, dst: ClockImage, x0: number, y0: number, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.min(src.width - 1.001, ((x + 0.5) * src.width) / w - 0.5);
      const sy = Math.min(src.height - 1.001, ((y + 0.5) * src.height) / h - 0.5);
      const ix = Math.max(0, Math.floor(sx));
      const iy = Math.max(0, Math.floor(sy));
      const fx = Math.max(0, sx - ix);
      const fy = Math.max(0, sy - iy);
      for (let ch = 0; ch < 3; ch++) {
        const at = (px: number, py: number) => src.data[(py * src.width + px) * 4 + ch]!;
        const v =
          at(ix, iy) * (1 - fx) * (1 - fy) +
          at(ix + 1, iy) * fx * (1 - fy) +
          at(ix, iy + 1) * (1 - fx) * fy +
          at(ix + 1, iy + 1) * fx * fy;
        dst.data[((y0 + y) * dst.width + x0 + x) * 4 + ch] = v;
      }
    }
  }
}

/** A box blur of radius `r`, then limited-range video levels (16–235) and seeded noise of ± `noise`. */
function degrade(image: ClockImage, r: number, noise: number, seed = 1): void {
  const { width, height, data } = image;
  const copy = Uint8ClampedArray.from(data);
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let sum = 0;
        let n = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const px = Math.min(width - 1, Math.max(0, x + dx));
            const py = Math.min(height - 1, Math.max(0, y + dy));
            sum += copy[(py * width + px) * 4 + ch]!;
            n++;
          }
        }
        data[(y * width + x) * 4 + ch] = 16 + ((sum / n) * 219) / 255 + random() * noise;
      }
    }
  }
}

const T = Date.parse('2026-12-02T04:30:00.123Z');

function source(time: number): PixelCanvas {
  const canvas = new PixelCanvas(640, 360);
  paintClock(canvas, 640, 360, time);
  return canvas;
}

describe('block clock', () => {
  it('encodes 48 bits of milliseconds and a CRC', () => {
    expect(clockBits(T)).toHaveLength(64);
    expect(clockBits(T)).not.toEqual(clockBits(T + 1));
    expect(() => clockBits(-1)).toThrow(RangeError);
  });

  it('reads back the time it painted', () => {
    for (const time of [0, 1, T, T + 999, 2 ** 48 - 1]) expect(decodeClock(source(time))).toBe(time);
  });

  it('reads a picture scaled down, blurred and noisy', () => {
    const small = new PixelCanvas(160, 90);
    scaleInto(source(T), small, 0, 0, 160, 90);
    degrade(small, 2, 30);
    expect(decodeClock(small)).toBe(T);
  });

  it('finds and reads the clock in a tile of a 360p 3 × 3 composite, under a name label', () => {
    // The 360p rung of nine tiles: each about 213 × 120, on a dark background.
    const frame = new PixelCanvas(640, 360, 30);
    const tile = { x: 216, y: 122, w: 208, h: 117 };
    scaleInto(source(T), frame, tile.x, tile.y, tile.w, tile.h);
    frame.fillStyle = '#404040';
    frame.fillRect(tile.x + 7, tile.y + tile.h - 21, 60, 14);
    degrade(frame, 1, 20);
    // Located on a half-size copy, as the reader does (a full frame is searched once).
    const half = new PixelCanvas(320, 180);
    scaleInto(frame, half, 0, 0, 320, 180);
    const at = locateClock(half);
    expect(at).not.toBeNull();
    const found = { x: at!.x * 2, y: at!.y * 2, w: at!.w * 2, h: at!.h * 2 };
    expect(Math.abs(found.x - tile.x)).toBeLessThanOrEqual(4);
    expect(Math.abs(found.y - tile.y)).toBeLessThanOrEqual(4);
    expect(Math.abs(found.w - tile.w)).toBeLessThanOrEqual(6);
    expect(decodeClock(frame, found)).toBe(T);
  });

  it('says null rather than a wrong time', () => {
    const blank = new PixelCanvas(640, 360, 128);
    expect(decodeClock(blank)).toBeNull();
    expect(locateClock(blank)).toBeNull();
    // One data cell flipped: the CRC no longer matches.
    const damaged = source(T);
    damaged.fillStyle = clockBits(T)[0] ? '#000000' : '#ffffff';
    damaged.fillRect(40, 40, 40, 40);
    expect(decodeClock(damaged)).toBeNull();
  });
});
