import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Logger } from './logger.js';
import { readRecord } from './validation.js';

const schema = z.object({ id: z.string(), n: z.number() });

function fakeLogger(): Logger & { warn: ReturnType<typeof vi.fn> } {
  return { warn: vi.fn() } as unknown as Logger & { warn: ReturnType<typeof vi.fn> };
}

describe('readRecord', () => {
  it('reads a well-formed record', () => {
    const logger = fakeLogger();
    expect(readRecord(schema, '{"id":"a","n":1}', logger, 'thing')).toEqual({ id: 'a', n: 1 });
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('reads a missing record as absent, quietly', () => {
    const logger = fakeLogger();
    expect(readRecord(schema, null, logger, 'thing')).toBeNull();
    expect(readRecord(schema, undefined, logger, 'thing')).toBeNull();
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('logs a malformed record with its context and reads it as absent', () => {
    for (const raw of ['{"id":"a"', '{"id":"a","n":"1"}', '[]', '']) {
      const logger = fakeLogger();
      expect(readRecord(schema, raw, logger, 'thing', { room: 'r1' })).toBeNull();
      expect(logger.warn).toHaveBeenCalledWith(
        expect.objectContaining({ room: 'r1', issue: expect.any(String) as unknown }),
        'ignored a malformed thing in Redis',
      );
    }
  });
});
