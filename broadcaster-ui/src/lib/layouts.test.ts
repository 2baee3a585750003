import { describe, expect, it } from 'vitest';
import { defaultPin, describeOnAir } from './layouts.js';

describe('describeOnAir', () => {
  it('names the arrangement and counts the tiles', () => {
    expect(describeOnAir({ kind: 'speaker', tiles: 3, peerIds: ['a', 'b', 'c'] })).toBe('speaker · 3 tiles');
    expect(describeOnAir({ kind: 'grid', tiles: 1, peerIds: ['a'] })).toBe('grid · 1 tile');
    expect(describeOnAir({ kind: 'share', tiles: 2, peerIds: ['a', 'b'] })).toBe('screen share · 2 tiles');
  });

  it('says when nobody is on stage', () => {
    expect(describeOnAir({ kind: 'slate', tiles: 0, peerIds: [] })).toBe('slate · nobody on stage');
  });
});

describe('defaultPin', () => {
  it('keeps the person pinned before while they are on stage', () => {
    expect(defaultPin(['a', 'b', 'c'], 'c', 'b')).toBe('c');
  });

  it('falls back to whoever is talking, then to the first person on stage', () => {
    expect(defaultPin(['a', 'b'], 'gone', 'b')).toBe('b');
    expect(defaultPin(['a', 'b'], null, null)).toBe('a');
    expect(defaultPin(['a', 'b'], null, 'gone')).toBe('a');
  });

  it('pins nobody on an empty stage', () => {
    expect(defaultPin([], null, null)).toBeNull();
  });
});
