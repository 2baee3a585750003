import { describe, expect, it } from 'vitest';
import { joinFragments, startsWithKeyFrame } from './fmp4.js';
import { box, fragment, NON_SYNC, SYNC, traf, type FlagsIn } from './testFixtures.js';

const kinds = (buf: Buffer): string[] => {
  const out: string[] = [];
  for (let at = 0; at + 8 <= buf.length; at += buf.readUInt32BE(at))
    out.push(buf.toString('latin1', at + 4, at + 8));
  return out;
};

describe('startsWithKeyFrame', () => {
  it.each<FlagsIn>(['first-sample-flags', 'sample-flags', 'tfhd-default'])(
    'reads the first sample of every track (%s)',
    (via) => {
      expect(startsWithKeyFrame(fragment(true, 'a', via))).toBe(true);
      expect(startsWithKeyFrame(fragment(false, 'a', via))).toBe(false);
    },
  );

  it('is false when any track begins without a sync sample, or nothing says', () => {
    const moof = (...trafs: Buffer[]) => box('moof', ...trafs);
    expect(startsWithKeyFrame(moof(traf(1, SYNC, 'tfhd-default'), traf(2, NON_SYNC, 'sample-flags')))).toBe(
      false,
    );
    expect(startsWithKeyFrame(moof())).toBe(false);
    expect(startsWithKeyFrame(box('mdat', Buffer.from('no moof')))).toBe(false);
    expect(startsWithKeyFrame(Buffer.alloc(0))).toBe(false);
  });

  it('never reads past a truncated or malformed box', () => {
    const whole = fragment(true);
    for (let cut = 0; cut < whole.length; cut += 7)
      expect(() => startsWithKeyFrame(whole.subarray(0, cut))).not.toThrow();
    const lying = Buffer.from(whole);
    lying.writeUInt32BE(0xfffffff0, 0);
    expect(startsWithKeyFrame(lying)).toBe(false);
  });
});

describe('joinFragments', () => {
  it("keeps one styp, drops each fragment's own sidx, and keeps every movie fragment in order", () => {
    const joined = joinFragments([fragment(true, 'one'), fragment(false, 'two'), fragment(false, 'three')]);
    expect(kinds(joined)).toEqual(['styp', 'moof', 'mdat', 'moof', 'mdat', 'moof', 'mdat']);
    const text = joined.toString('latin1');
    expect(text.indexOf('one')).toBeLessThan(text.indexOf('two'));
    expect(text.indexOf('two')).toBeLessThan(text.indexOf('three'));
    expect(startsWithKeyFrame(joined)).toBe(true);
  });
});
