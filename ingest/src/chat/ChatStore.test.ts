import { describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { ChatStore } from './ChatStore.js';

const sender = { peerId: 'p1', name: 'Ann', role: 'viewer' };
const body = (text: string) => JSON.stringify({ clientId: `c-${text}`, text, sender });

describe('malformed chat records in Redis', () => {
  it('leaves broken messages out of the history and a broken pin reads as none', async () => {
    const redis = {
      xrevrange: vi.fn(() =>
        Promise.resolve([
          ['3-0', ['m', body('third')]],
          ['2-0', ['m', '{"text":']],
          ['1-0', ['m', body('first')]],
        ]),
      ),
      mget: vi.fn(() => Promise.resolve(['{"id":"1-0"}', '5'])),
    } as unknown as Redis;
    const logger = { warn: vi.fn() } as unknown as Logger;
    const state = await new ChatStore(redis, logger).state('r1');
    expect(state.messages.map((m) => m.text)).toEqual(['first', 'third']);
    expect(state.messages[0]).toEqual({ id: '1-0', clientId: 'c-first', text: 'first', ts: 1, sender });
    expect(state.pinned).toBeNull();
    expect(state.slowModeSeconds).toBe(5);
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });
});
