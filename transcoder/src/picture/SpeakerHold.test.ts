import { describe, expect, it } from 'vitest';
import { SpeakerHold } from './SpeakerHold.js';

const HOLD = 2000;
const stage = new Set(['a', 'b', 'c']);

describe('SpeakerHold', () => {
  it('nobody shown yet: the first speaker is shown at once', () => {
    const hold = new SpeakerHold(HOLD);
    expect(hold.follow(null, stage, 0)).toBeNull();
    expect(hold.follow('a', stage, 10)).toBe('a');
    expect(hold.pendingUntil).toBeNull();
  });

  it('a new speaker only after holding the floor for holdMs without a break', () => {
    const hold = new SpeakerHold(HOLD);
    hold.follow('a', stage, 0);
    expect(hold.follow('b', stage, 1000)).toBe('a');
    expect(hold.pendingUntil).toBe(1000 + HOLD);
    expect(hold.follow('b', stage, 2000)).toBe('a');
    expect(hold.follow('b', stage, 1000 + HOLD - 1)).toBe('a');
    expect(hold.follow('b', stage, 1000 + HOLD)).toBe('b');
    expect(hold.pendingUntil).toBeNull();
    expect(hold.follow('b', stage, 9000)).toBe('b');
  });

  it('one late look is enough once the hold is over', () => {
    const hold = new SpeakerHold(HOLD);
    hold.follow('a', stage, 0);
    hold.follow('b', stage, 100);
    expect(hold.follow('b', stage, 100 + HOLD + 5000)).toBe('b');
  });

  it('flicker back to the current speaker resets the hold', () => {
    const hold = new SpeakerHold(HOLD);
    hold.follow('a', stage, 0);
    hold.follow('b', stage, 1000);
    expect(hold.follow('a', stage, 2500)).toBe('a');
    expect(hold.pendingUntil).toBeNull();
    // b again: the hold starts over.
    expect(hold.follow('b', stage, 2600)).toBe('a');
    expect(hold.pendingUntil).toBe(2600 + HOLD);
    expect(hold.follow('b', stage, 1000 + HOLD)).toBe('a');
    expect(hold.follow('b', stage, 2600 + HOLD)).toBe('b');
  });

  it('silence in between resets the hold too; the shown speaker stays', () => {
    const hold = new SpeakerHold(HOLD);
    hold.follow('a', stage, 0);
    hold.follow('b', stage, 1000);
    expect(hold.follow(null, stage, 1500)).toBe('a');
    expect(hold.pendingUntil).toBeNull();
    expect(hold.follow('b', stage, 1600)).toBe('a');
    expect(hold.follow('b', stage, 3100)).toBe('a');
    expect(hold.follow('b', stage, 3600)).toBe('b');
  });

  it('another candidate takes over the wait from the start', () => {
    const hold = new SpeakerHold(HOLD);
    hold.follow('a', stage, 0);
    hold.follow('b', stage, 1000);
    expect(hold.follow('c', stage, 2500)).toBe('a');
    expect(hold.pendingUntil).toBe(2500 + HOLD);
    expect(hold.follow('c', stage, 3000)).toBe('a');
    expect(hold.follow('c', stage, 4500)).toBe('c');
  });

  it('the shown speaker leaves the stage: the next one is shown at once', () => {
    const hold = new SpeakerHold(HOLD);
    hold.follow('a', stage, 0);
    const withoutA = new Set(['b', 'c']);
    expect(hold.follow(null, withoutA, 100)).toBeNull();
    expect(hold.follow('b', withoutA, 200)).toBe('b');
    // A pending candidate when the speaker leaves takes over without the rest of the wait.
    const hold2 = new SpeakerHold(HOLD);
    hold2.follow('a', stage, 0);
    hold2.follow('b', stage, 100);
    expect(hold2.follow('b', withoutA, 200)).toBe('b');
  });

  it('a reported speaker who is not on stage is ignored', () => {
    const hold = new SpeakerHold(HOLD);
    expect(hold.follow('x', stage, 0)).toBeNull();
    hold.follow('a', stage, 10);
    hold.follow('b', stage, 20);
    expect(hold.follow('x', stage, 30)).toBe('a');
    expect(hold.pendingUntil).toBeNull();
  });
});
