import { describe, expect, it } from 'vitest';
import { BEHIND_LIMIT_S, LiveGovernor, type GovernorVerdict } from './LiveGovernor.js';

const T0 = 5_000_000;
const LOWEST = 3;
// The governor's private timings (LiveGovernor.ts): a tune there is a one-line change here.
/** A run's first seconds are not judged. */
const WARM_UP_S = 5;
/** Seconds behind before stepping down. */
const BEHIND_FOR_S = 3;

/**
 * One FFmpeg run as the job sees it: a progress report every second. `media(s)` is the media
 * time (ms) reported `s` seconds into the run. Stops at the first verdict other than 'keep'
 * (the job then restarts FFmpeg at another step).
 */
function simulate(
  governor: LiveGovernor,
  start: number,
  seconds: number,
  media: (s: number) => number,
  level: number,
  stepMs = 1000,
): { at: number; verdict: GovernorVerdict }[] {
  const out: { at: number; verdict: GovernorVerdict }[] = [];
  for (let ms = stepMs; ms <= seconds * 1000; ms += stepMs) {
    const verdict = governor.observe(media(ms / 1000), start + ms, level, LOWEST);
    out.push({ at: ms / 1000, verdict });
    if (verdict !== 'keep') break;
  }
  return out;
}
/** Real time (with the pipeline's own 300 ms delay) until `stallAt`, then no progress at all. */
const stallsAt =
  (stallAt: number) =>
  (s: number): number =>
    Math.max(0, Math.min(s, stallAt) - 0.3) * 1000;
const realTime = (s: number): number => Math.max(0, s - 0.3) * 1000;
const firstNot = (verdicts: { at: number; verdict: GovernorVerdict }[], v: GovernorVerdict = 'keep') =>
  verdicts.find((x) => x.verdict !== v);

describe('LiveGovernor', () => {
  it('keeps the level while the output follows the wall clock', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    const verdicts = simulate(g, T0, 50, realTime, 0);
    expect(firstNot(verdicts)).toBeUndefined();
    expect(g.behindS).toBeCloseTo(0, 5);
  });

  it('never judges the warm-up, counted from the first media written, however far behind', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // No media for 10 s (FFmpeg waits for its first frames): nothing to judge.
    expect(firstNot(simulate(g, T0, 9.9, () => 0, 0, 100))).toBeUndefined();
    // Then media, stuck at 100 ms: ever further behind, but still warming up.
    const stuck: { at: number; verdict: GovernorVerdict }[] = [];
    for (let ms = 10_000; ms < (10 + WARM_UP_S) * 1000; ms += 100) {
      stuck.push({ at: ms / 1000, verdict: g.observe(100, T0 + ms, 0, LOWEST) });
    }
    expect(firstNot(stuck)).toBeUndefined();
    expect(g.behindS).toBeGreaterThan(BEHIND_FOR_S + 1);
    // Judged from the end of the warm-up on.
    const after: { at: number; verdict: GovernorVerdict }[] = [];
    for (let at = 10 + WARM_UP_S; at <= 40; at++) {
      after.push({ at, verdict: g.observe(100, T0 + at * 1000, 0, LOWEST) });
    }
    expect(firstNot(after)).toEqual({ at: 10 + WARM_UP_S + BEHIND_FOR_S, verdict: 'lower' });
  });

  it(`steps down after being more than ${BEHIND_LIMIT_S} s behind for ${BEHIND_FOR_S} s`, () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // Stalls at 10 s: 1 s behind at 11 s, so behind from then on.
    const verdicts = simulate(g, T0, 30, stallsAt(10), 0);
    expect(firstNot(verdicts)).toEqual({ at: 11 + BEHIND_FOR_S, verdict: 'lower' });
    expect(verdicts.find((v) => v.at === 10 + BEHIND_FOR_S)?.verdict).toBe('keep');
    expect(g.behindS).toBeCloseTo(1 + BEHIND_FOR_S, 5);
  });

  it('measures behind from the best delay seen, not from zero', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // 1.5 s of constant pipeline delay is not falling behind.
    const verdicts = simulate(g, T0, 30, (s) => Math.max(0, s - 1.5) * 1000, 0);
    expect(firstNot(verdicts)).toBeUndefined();
    expect(g.behindS).toBeCloseTo(0, 5);
  });

  it(`being behind just under the limit, or for less than ${BEHIND_FOR_S} s, keeps the level`, () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // Just under the limit for good after 10 s.
    const lag = (BEHIND_LIMIT_S - 0.1) * 1000;
    const under = simulate(g, T0, 30, (s) => (s < 10 ? realTime(s) : realTime(s) - lag), 0);
    expect(firstNot(under)).toBeUndefined();
    // 1.5 s behind for BEHIND_FOR_S reports (10 s … 10 + BEHIND_FOR_S − 1 s), then caught up again.
    const g2 = new LiveGovernor();
    g2.startRun(T0);
    const blip = simulate(
      g2,
      T0,
      30,
      (s) => (s >= 10 && s < 10 + BEHIND_FOR_S ? realTime(s) - 1500 : realTime(s)),
      0,
    );
    expect(firstNot(blip)).toBeUndefined();
  });

  it(`each time behind starts the ${BEHIND_FOR_S} s over`, () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // Behind from 10 s, caught up for one report, behind again from the report after.
    const back = 10 + BEHIND_FOR_S;
    const behind = (s: number) => (s !== back ? (s >= 10 ? realTime(s) - 1500 : realTime(s)) : realTime(s));
    const verdicts = simulate(g, T0, 30, behind, 0);
    expect(firstNot(verdicts)).toEqual({ at: back + 1 + BEHIND_FOR_S, verdict: 'lower' });
  });

  it('never lower than the lowest level: there, far behind, a new run drops the backlog, once per 30 s', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // Half speed from the start: judged after the warm-up (6 s), behind for 3 s more.
    const halfSpeed = (s: number) => s * 500;
    const first = firstNot(simulate(g, T0, 30, halfSpeed, LOWEST));
    expect(first?.verdict).toBe('resync');
    expect(first?.at).toBeGreaterThanOrEqual(1 + WARM_UP_S + BEHIND_FOR_S);
    expect(g.behindS).toBeGreaterThan(2.5);
    // The new run is no faster: behind again, but the next rejoin waits 30 s from the last.
    const t1 = T0 + (first?.at ?? 0) * 1000;
    g.startRun(t1);
    const again = simulate(g, t1, 40, halfSpeed, LOWEST);
    const second = firstNot(again);
    expect(second?.verdict).toBe('resync');
    expect(second?.at).toBeGreaterThanOrEqual(30);
    // Slightly behind (under 2.5 s) at the lowest level: kept, with the lag said.
    const g2 = new LiveGovernor();
    g2.startRun(T0);
    const slight = (s: number) => Math.max(0, s - 0.3 - Math.min(2, Math.max(0, s - 6) * 0.2)) * 1000;
    expect(firstNot(simulate(g2, T0, 40, slight, LOWEST))).toBeUndefined();
    expect(g2.behindS).toBeGreaterThan(1.5);
  });

  it('after 60 s of calm at a lowered level, tries one step up', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    const verdicts = simulate(g, T0, 70, realTime, 1);
    expect(firstNot(verdicts)).toEqual({ at: 60, verdict: 'raise' });
    // At full quality there is nothing to raise.
    const top = new LiveGovernor();
    top.startRun(T0);
    expect(firstNot(simulate(top, T0, 200, realTime, 0))).toBeUndefined();
  });

  it('being behind (without stepping down) restarts the 60 s of calm', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    // 1 s behind at 30 s only.
    const verdicts = simulate(g, T0, 100, (s) => (s === 30 ? realTime(s) - 1000 : realTime(s)), 1);
    expect(firstNot(verdicts)).toEqual({ at: 90, verdict: 'raise' });
  });

  it('a step up that fails within 60 s doubles the wait before the next one', () => {
    const g = new LiveGovernor();
    // Level 1, calm: raise at 60 s.
    g.startRun(T0);
    expect(firstNot(simulate(g, T0, 60, realTime, 1))).toEqual({ at: 60, verdict: 'raise' });
    // The job restarts at level 0, which falls behind at once: down again.
    const run2 = T0 + 61_000;
    g.startRun(run2);
    const failed = simulate(g, run2, 30, stallsAt(WARM_UP_S), 0);
    const loweredAt = WARM_UP_S + 1 + BEHIND_FOR_S;
    expect(firstNot(failed)).toEqual({ at: loweredAt, verdict: 'lower' });
    // Level 1 again: the next try waits 120 s, not 60.
    const run3 = run2 + (loweredAt + 1) * 1000;
    g.startRun(run3);
    expect(firstNot(simulate(g, run3, 200, realTime, 1))).toEqual({ at: 120, verdict: 'raise' });
    // And it fails again: 240 s.
    const run4 = run3 + 121_000;
    g.startRun(run4);
    expect(firstNot(simulate(g, run4, 30, stallsAt(WARM_UP_S), 0))).toEqual({
      at: loweredAt,
      verdict: 'lower',
    });
    const run5 = run4 + (loweredAt + 1) * 1000;
    g.startRun(run5);
    expect(firstNot(simulate(g, run5, 300, realTime, 1))).toEqual({ at: 240, verdict: 'raise' });
  });

  it('a step up that holds for more than 60 s does not lengthen the next wait', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    expect(firstNot(simulate(g, T0, 60, realTime, 1))).toEqual({ at: 60, verdict: 'raise' });
    const run2 = T0 + 61_000;
    g.startRun(run2);
    // Fine for 100 s at level 0, then the machine gets busy.
    expect(firstNot(simulate(g, run2, 200, stallsAt(100), 0))?.verdict).toBe('lower');
    const run3 = run2 + 200_000;
    g.startRun(run3);
    expect(firstNot(simulate(g, run3, 100, realTime, 1))).toEqual({ at: 60, verdict: 'raise' });
  });

  it('a new run starts judging afresh (its media time starts at 0)', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    simulate(g, T0, 10 + BEHIND_FOR_S, stallsAt(10), 0);
    expect(g.behindS).toBeGreaterThan(1);
    const run2 = T0 + (11 + BEHIND_FOR_S) * 1000;
    g.startRun(run2);
    expect(g.behindS).toBe(0);
    expect(firstNot(simulate(g, run2, 30, realTime, 0))).toBeUndefined();
    // A run right after a step down that falls behind itself gets its full BEHIND_FOR_S too.
    const g2 = new LiveGovernor();
    g2.startRun(T0);
    expect(firstNot(simulate(g2, T0, 30, stallsAt(10), 0))?.verdict).toBe('lower');
    const next = T0 + (12 + BEHIND_FOR_S) * 1000;
    g2.startRun(next);
    expect(firstNot(simulate(g2, next, 30, stallsAt(WARM_UP_S), 1))).toEqual({
      at: WARM_UP_S + 1 + BEHIND_FOR_S,
      verdict: 'lower',
    });
  });

  it('one failed step up doubles the wait once, however many steps down follow it', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    expect(firstNot(simulate(g, T0, 60, realTime, 1))).toEqual({ at: 60, verdict: 'raise' });
    // Level 0 fails: down to 1 (the wait doubles to 120 s)…
    let run = T0 + 61_000;
    g.startRun(run);
    const downAt = WARM_UP_S + 1 + BEHIND_FOR_S;
    expect(firstNot(simulate(g, run, 30, stallsAt(WARM_UP_S), 0))).toEqual({ at: downAt, verdict: 'lower' });
    // …and level 1 fails too, still within 60 s of the step up: down to 2, the wait stays 120 s.
    run += (downAt + 1) * 1000;
    g.startRun(run);
    expect(firstNot(simulate(g, run, 30, stallsAt(WARM_UP_S), 1))).toEqual({ at: downAt, verdict: 'lower' });
    run += (downAt + 1) * 1000;
    g.startRun(run);
    expect(firstNot(simulate(g, run, 300, realTime, 2))).toEqual({ at: 120, verdict: 'raise' });
  });

  it('speed: media time over wall time across the last 5 s', () => {
    const g = new LiveGovernor();
    g.startRun(T0);
    expect(g.speed).toBe(0);
    g.observe(0, T0 + 100, 0, LOWEST);
    g.observe(200, T0 + 400, 0, LOWEST);
    expect(g.speed).toBe(0); // less than half a second of samples
    // Half speed for 10 s.
    const g2 = new LiveGovernor();
    g2.startRun(T0);
    simulate(g2, T0, 10, (s) => s * 500, LOWEST);
    expect(g2.speed).toBe(0.5);
    // Then real time: after 5 s only the new pace counts.
    for (let s = 11; s <= 15; s++) g2.observe(5000 + (s - 10) * 1000, T0 + s * 1000, LOWEST, LOWEST);
    expect(g2.speed).toBe(1);
    // Halfway through a change of pace, a mix of both.
    const g3 = new LiveGovernor();
    g3.startRun(T0);
    simulate(g3, T0, 10, (s) => s * 1000, LOWEST);
    g3.observe(10_000, T0 + 11_000, LOWEST, LOWEST);
    g3.observe(10_000, T0 + 12_000, LOWEST, LOWEST);
    // Samples from 7 s to 12 s: 3 s of media in 5 s.
    expect(g3.speed).toBe(0.6);
  });
});
