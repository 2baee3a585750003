import { describe, expect, it } from 'vitest';
import { createPollSchema, sendReactionSchema, votePollSchema } from './pollSchemas.js';

describe('poll and reaction schemas', () => {
  it('accepts a poll with defaults and trims its texts', () => {
    expect(createPollSchema.parse({ question: ' Next? ', options: ['A ', ' B'] })).toEqual({
      question: 'Next?',
      options: ['A', 'B'],
      multiple: false,
      anonymous: false,
      showResults: false,
    });
  });

  it('refuses empty or long texts and option counts outside 2–8', () => {
    const nine = Array.from({ length: 9 }, (_, i) => `o${i}`);
    for (const input of [
      { question: '', options: ['a', 'b'] },
      { question: ' ', options: ['a', 'b'] },
      { question: 'q'.repeat(201), options: ['a', 'b'] },
      { question: 'q', options: ['a'] },
      { question: 'q', options: nine },
      { question: 'q', options: ['a', 'b'.repeat(81)] },
      { question: 'q', options: ['a', ''] },
    ]) {
      expect(createPollSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });

  it('refuses repeated, negative, fractional and missing choices', () => {
    for (const choices of [[], [0, 0], [-1], [0.5], [8], ['1']]) {
      expect(votePollSchema.safeParse({ pollId: 'p1', choices }).success, JSON.stringify(choices)).toBe(
        false,
      );
    }
    expect(votePollSchema.parse({ pollId: 'p1', choices: [2, 0] }).choices).toEqual([2, 0]);
  });

  it('takes only the fixed emoji', () => {
    expect(sendReactionSchema.safeParse({ emoji: '👏' }).success).toBe(true);
    expect(sendReactionSchema.safeParse({ emoji: '💩' }).success).toBe(false);
  });
});
