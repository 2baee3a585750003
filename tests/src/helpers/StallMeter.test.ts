import { describe, expect, it } from 'vitest';
import { StallMeter } from './StallMeter.js';

/** Frames every `everyMs` from `from` (exclusive) to `to` (inclusive). */
function frames(meter: StallMeter, from: number, to: number, everyMs = 33): void {
  for (let t = from + everyMs; t <= to; t += everyMs) meter.frame(t);
}

describe('StallMeter', () => {
  it('counts nothing while frames keep coming', () => {
    const meter = new StallMeter();
    meter.start(0);
    frames(meter, 0, 10_000);
    expect(meter.stalledMs(10_000)).toBe(0);
  });

  it('counts a gap longer than gapMs from the frame before', () => {
    const meter = new StallMeter(250);
    meter.start(0);
    meter.frame(100);
    meter.frame(1100);
    meter.frame(1300);
    expect(meter.stalledMs(1300)).toBe(1000);
  });

  it('counts waiting until the next frame, and a waiting gap once', () => {
    const meter = new StallMeter(250);
    meter.start(0);
    meter.frame(90);
    meter.waiting(100);
    meter.frame(150);
    expect(meter.stalledMs(150)).toBe(50);
    meter.waiting(200);
    meter.frame(1150);
    // The gap (from 150) and the waiting (from 200) overlap: 1000 ms, not 1950.
    expect(meter.stalledMs(1150)).toBe(50 + 1000);
    expect(meter.waitingEvents).toBe(2);
  });

  it('counts a stall still going on, and only what falls after start', () => {
    const meter = new StallMeter(250);
    meter.frame(0);
    meter.waiting(10);
    meter.start(500);
    expect(meter.waitingEvents).toBe(0);
    expect(meter.stalledMs(800)).toBe(300);
    meter.frame(900);
    frames(meter, 900, 2000);
    expect(meter.stalledMs(2000)).toBe(400);
  });

  it('counts nothing before start', () => {
    const meter = new StallMeter(250);
    meter.frame(0);
    meter.frame(5000);
    expect(meter.stalledMs(5000)).toBe(0);
  });
});
