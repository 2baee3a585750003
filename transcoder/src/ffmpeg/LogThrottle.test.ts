import { describe, expect, it } from 'vitest';
import { LogThrottle } from './LogThrottle.js';

const WARN = (address: string) =>
  `[graph 0 input from stream 0:3 @ ${address}] [warning] Changing video frame properties on the fly is not supported by all filters.`;

describe('LogThrottle', () => {
  it('writes a repeated line once per window, then with the count of those it skipped', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.filter(WARN('0x55d1'), 0)).toBe(`${WARN('0x55d1')}\n`);
    for (let t = 33; t < 1000; t += 33) expect(throttle.filter(WARN('0x55d1'), t)).toBeNull();
    expect(throttle.filter(WARN('0x55d1'), 1000)).toBe(
      `${WARN('0x55d1')} (and 30 more like it since the last)\n`,
    );
  });

  it('lines that differ only by an address are the same line; other lines pass', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.filter(WARN('0x1'), 0)).not.toBeNull();
    expect(throttle.filter(WARN('0x2'), 10)).toBeNull();
    expect(throttle.filter('[error] Invalid data found', 20)).toBe('[error] Invalid data found\n');
    expect(throttle.filter('[error] Another error', 30)).not.toBeNull();
  });
});
