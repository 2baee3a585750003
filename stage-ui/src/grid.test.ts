import { describe, expect, it } from 'vitest';
import { bestGrid } from './grid.js';

describe('bestGrid', () => {
  it('puts two people side by side on a wide screen', () => {
    expect(bestGrid(2, 1200, 600).cols).toBe(2);
  });

  it('stacks two people on a phone held upright', () => {
    expect(bestGrid(2, 360, 640).cols).toBe(1);
  });

  it('makes a 2×2 grid for four on a 16:9 area', () => {
    expect(bestGrid(4, 1600, 900).cols).toBe(2);
  });

  it('fills the width with one tile when the box is very tall', () => {
    expect(bestGrid(1, 400, 2000)).toEqual({ cols: 1, tileWidth: 400 });
  });

  it('survives an unmeasured box', () => {
    expect(bestGrid(3, 0, 0)).toEqual({ cols: 1, tileWidth: 0 });
  });
});
