import { describe, expect, it } from 'vitest';
import { StageFence } from './StageFence.js';

describe('StageFence', () => {
  it('follows the first answer, then only newer versions of the same owner', () => {
    const fence = new StageFence();
    expect(fence.admit(0, 0)).toBe(true);
    expect(fence.admit(0, 0)).toBe(false);
    expect(fence.admit(3, 7)).toBe(true);
    expect(fence.admit(3, 7)).toBe(false);
    expect(fence.admit(3, 6)).toBe(false);
    expect(fence.admit(3, 8)).toBe(true);
  });

  it('never follows a process without the room, or one that lost it, once an owner spoke', () => {
    const fence = new StageFence();
    expect(fence.admit(3, 8)).toBe(true);
    // The version-0 answer of a process holding only viewers.
    expect(fence.admit(0, 0)).toBe(false);
    // A process that lost the lease (epoch 2), whatever the version it draws.
    expect(fence.admit(2, 50)).toBe(false);
    // The next owner takes over.
    expect(fence.admit(4, 51)).toBe(true);
    expect(fence.admit(3, 52)).toBe(false);
  });
});
