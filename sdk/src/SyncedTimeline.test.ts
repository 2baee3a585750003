import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncedTimeline } from './SyncedTimeline.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A picture that plays in real (fake) time from `start`, behind the wall clock by `behindMs`. */
function playing(behindMs: number): () => number {
  return () => Date.now() - behindMs;
}

describe('SyncedTimeline', () => {
  it('holds an event until the picture reaches its stamp, then delivers it', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const timeline = new SyncedTimeline(playing(3000));
    const got: number[] = [];
    const at = Date.now();
    timeline.hold(at, () => got.push(Date.now() - at));
    vi.advanceTimersByTime(2900);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(got).toHaveLength(1);
    // Delivered within one tick of the picture reaching `at`.
    expect(got[0]).toBeGreaterThanOrEqual(3000);
    expect(got[0]).toBeLessThanOrEqual(3050);
  });

  it('keeps the order events were held in, and delivers at once what the picture already shows', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const timeline = new SyncedTimeline(playing(2000));
    const got: string[] = [];
    const now = Date.now();
    timeline.hold(now - 5000, () => got.push('old'));
    expect(got).toEqual(['old']);
    timeline.hold(now, () => got.push('a'));
    // Stamped earlier than `a` (another server's clock) but sent after it: it waits behind it.
    timeline.hold(now - 10, () => got.push('b'));
    expect(got).toEqual(['old']);
    vi.advanceTimersByTime(2100);
    expect(got).toEqual(['old', 'a', 'b']);
  });

  it('delivers at once without a picture, when turned off, and when the picture can never get there', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    let picture: number | null = null;
    const timeline = new SyncedTimeline(() => picture, { maxHoldMs: 30_000 });
    const got: string[] = [];
    timeline.hold(Date.now(), () => got.push('no picture'));
    expect(got).toEqual(['no picture']);

    picture = Date.now() - 5000;
    timeline.hold(Date.now(), () => got.push('held'));
    expect(got).toHaveLength(1);
    timeline.enabled = false;
    expect(got).toEqual(['no picture', 'held']);
    timeline.enabled = true;

    // A recording from yesterday: live chat is further ahead than any hold would wait.
    picture = Date.now() - 24 * 3600_000;
    timeline.hold(Date.now(), () => got.push('far ahead'));
    expect(got.at(-1)).toBe('far ahead');
  });

  it('never holds longer than maxHoldMs, even if the picture stalls', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const frozen = Date.now() - 4000;
    const timeline = new SyncedTimeline(() => frozen, { maxHoldMs: 10_000 });
    const got: number[] = [];
    const start = Date.now();
    timeline.hold(Date.now(), () => got.push(Date.now() - start));
    vi.advanceTimersByTime(9_900);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(got).toHaveLength(1);
    expect(timeline.pending).toBe(0);
  });
});
