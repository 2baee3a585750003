import { describe, expect, it } from 'vitest';
import { QualityControl } from './QualityControl.js';

/** One progress report a second for `seconds`, FFmpeg's media time growing at `speed`. */
function feed(q: QualityControl, seconds: number, speed: number): ReturnType<QualityControl['observe']>[] {
  q.startRun(0);
  return Array.from({ length: seconds }, (_, i) => q.observe(i * 1000 * speed, (i + 1) * 1000));
}

describe('QualityControl', () => {
  it('starts at full quality, or at the step a previous process reached', () => {
    expect(new QualityControl(30).step).toMatchObject({ level: 0, frameRate: 30, topPreset: 'superfast' });
    expect(new QualityControl(30, 2).step).toMatchObject({ level: 2, frameRate: 10, frameStep: 3 });
    expect(new QualityControl(30, 99).step.level).toBe(3);
    expect(new QualityControl(30).describe()).toEqual({ level: 0, frameRate: 30, reason: null });
  });

  it('a run slightly behind steps down one level; one far below real time steps down two; hosts are told why', () => {
    const slow = new QualityControl(30);
    slow.startRun(0);
    let first: ReturnType<QualityControl['observe']> = null;
    for (let i = 0; i < 30 && !first; i++) first = slow.observe(i * 850, (i + 1) * 1000);
    expect(first).toMatchObject({ direction: 'lower', step: { level: 1, frameRate: 15 }, restart: false });
    expect(slow.describe().reason).toMatch(/could not keep up \(\d+\.\d s behind live\)/);

    const crawling = new QualityControl(30);
    const b = feed(crawling, 30, 0.4).filter((c) => c !== null);
    expect(b[0]).toMatchObject({ direction: 'lower', step: { level: 2, frameRate: 10 }, restart: false });
  });

  it('only the last step, a preset, takes a new FFmpeg', () => {
    const q = new QualityControl(30, 2);
    const changes = feed(q, 30, 0.85).filter((c) => c !== null);
    expect(changes[0]).toMatchObject({ step: { level: 3, topPreset: 'ultrafast' }, restart: true });
  });

  it('after a step down, a run still behind but faster than real time is left to catch up', () => {
    const q = new QualityControl(30);
    q.startRun(0);
    let media = 0;
    const changes = [];
    // Live, then at 0.6x real time until the step down, then 1.3x (the cheaper step) until live.
    for (let t = 1; t <= 40; t++) {
      const lowered = changes.some((c) => c !== null);
      media += t <= 10 ? 1000 : lowered ? Math.min(1300, t * 1000 - 500 - media) : 600;
      changes.push(q.observe(media, t * 1000 + 500));
    }
    expect(changes.filter((c) => c !== null)).toMatchObject([{ direction: 'lower', step: { level: 1 } }]);
    expect(q.behindS).toBeLessThan(0.75);
  });

  it('a run at real time keeps its step', () => {
    const q = new QualityControl(30);
    expect(feed(q, 60, 1).every((c) => c === null)).toBe(true);
    expect(q.step.level).toBe(0);
  });

  it('at the lowest step and still far behind: a new FFmpeg at the same step, and hosts are told what was skipped', () => {
    const q = new QualityControl(30, 3);
    const changes = feed(q, 20, 0.5).filter((c) => c !== null);
    expect(changes[0]).toMatchObject({ direction: 'resync', step: { level: 3 }, restart: true });
    expect(q.describe().reason).toMatch(/lowest quality: skipped \d+\.\d s to be live again/);
  });
});
