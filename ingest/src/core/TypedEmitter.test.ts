import { describe, expect, it, vi } from 'vitest';
import type { Logger } from './logger.js';
import { TypedEmitter } from './TypedEmitter.js';

class Ticker extends TypedEmitter<{ tick: [n: number] }> {
  tick(n: number): void {
    this.safeEmit('tick', n);
  }
}

describe('TypedEmitter', () => {
  it('logs a throwing listener with the event and still runs the others', () => {
    const logger = { error: vi.fn() } as unknown as Logger;
    const ticker = new Ticker(logger);
    const seen: number[] = [];
    const failure = new Error('listener bug');
    ticker.on('tick', () => {
      throw failure;
    });
    ticker.on('tick', (n) => seen.push(n));
    expect(() => ticker.tick(1)).not.toThrow();
    expect(seen).toEqual([1]);
    expect(logger.error).toHaveBeenCalledWith({ err: failure, event: 'tick' }, 'an event listener threw');
  });
});
