import { describe, expect, it } from 'vitest';
import type Hls from 'hls.js';
import { STALL_INCREASE_S, StallRecovery } from './StallRecovery.js';

/** hls.js' latency target as its latency controller keeps it: base + stalls × increase. */
class Target {
  stalls = 0;
  override: number | null = null;
  constructor(private readonly base: number) {}
  get targetLatency(): number {
    return (this.override ?? this.base) + Math.min(this.stalls * STALL_INCREASE_S, 2);
  }
  set targetLatency(latency: number) {
    this.stalls = 0;
    this.override = latency;
  }
}

describe('StallRecovery', () => {
  it('takes the stalls’ increase off one step per 20 s without a stall, down to the hold-back', () => {
    const hls = new Target(1.2);
    const recovery = new StallRecovery(hls as unknown as Hls);
    recovery.levelUpdated(0);
    hls.stalls = 2;
    recovery.stalled(1000);
    recovery.tick(20_000);
    expect(hls.targetLatency).toBeCloseTo(2.2);
    recovery.tick(21_000);
    expect(hls.targetLatency).toBeCloseTo(1.7);
    // A new stall restarts the wait and adds to the lowered target.
    hls.stalls = 1;
    recovery.stalled(30_000);
    recovery.tick(45_000);
    expect(hls.targetLatency).toBeCloseTo(2.2);
    recovery.tick(50_000);
    expect(hls.targetLatency).toBeCloseTo(1.7);
    recovery.tick(70_000);
    expect(hls.targetLatency).toBeCloseTo(1.2);
    recovery.tick(200_000);
    expect(hls.targetLatency).toBeCloseTo(1.2);
  });

  it('leaves a target no stall raised alone', () => {
    const hls = new Target(1.2);
    const recovery = new StallRecovery(hls as unknown as Hls);
    recovery.levelUpdated(0);
    recovery.tick(100_000);
    expect(hls.override).toBeNull();
  });
});
