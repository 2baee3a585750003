import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReactionBurst } from '@stagecast/protocol';
import { REACTION_WINDOW_MS, ReactionAggregator } from './ReactionAggregator.js';

describe('ReactionAggregator', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one aggregate per room and window, whatever the number of reactions', () => {
    const sent: [string, ReactionBurst][] = [];
    const aggregator = new ReactionAggregator((roomId, burst) => sent.push([roomId, burst]));
    for (let i = 0; i < 100; i++) aggregator.add('r1', i % 2 ? '👏' : '🎉');
    aggregator.add('r2', '🤔');
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(REACTION_WINDOW_MS);
    expect(sent.map(([room, burst]) => [room, burst.counts])).toEqual([
      ['r1', { '🎉': 50, '👏': 50 }],
      ['r2', { '🤔': 1 }],
    ]);
    // A quiet room sends nothing; the next reaction starts a new window.
    vi.advanceTimersByTime(REACTION_WINDOW_MS * 4);
    expect(sent).toHaveLength(2);
    aggregator.add('r1', '❤️');
    vi.advanceTimersByTime(REACTION_WINDOW_MS);
    expect(sent[2]?.[1].counts).toEqual({ '❤️': 1 });
    aggregator.close();
  });
});
