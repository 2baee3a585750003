import { describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { PresenceStore } from './PresenceStore.js';
import { RoomStore } from './RoomStore.js';

/** Just the Redis calls the stores make here, answering what a broken key would hold. */
function fakeRedis(values: { get?: string | null; hget?: string | null; hvals?: string[] }): Redis {
  return {
    get: vi.fn(() => Promise.resolve(values.get ?? null)),
    hget: vi.fn(() => Promise.resolve(values.hget ?? null)),
    hvals: vi.fn(() => Promise.resolve(values.hvals ?? [])),
    hdel: vi.fn(() => Promise.resolve(1)),
    // The presence prune script: nothing expired.
    evalsha: vi.fn(() => Promise.resolve([])),
  } as unknown as Redis;
}

const logger = (): Logger => ({ warn: vi.fn() }) as unknown as Logger;

const entry = (peerId: string, since: number) =>
  JSON.stringify({ peerId, name: peerId, role: 'viewer', socketId: `s-${peerId}`, since });

describe('malformed room records in Redis', () => {
  it('a room whose record is broken reads as no room', async () => {
    const log = logger();
    const store = new RoomStore(fakeRedis({ get: '{"id":"r1","name":' }), log);
    await expect(store.get('r1')).resolves.toBeNull();
    expect(log.warn).toHaveBeenCalledOnce();
  });

  it('a broken presence entry is left out of the audience, and is nobody', async () => {
    const log = logger();
    const redis = fakeRedis({
      hvals: [entry('b', 2), '{"peerId":"x","role":"superuser"}', 'not json', entry('a', 1)],
      hget: '{"peerId":"x"}',
    });
    const presence = new PresenceStore(redis, log, 20_000);
    expect((await presence.list('r1')).map((e) => e.peerId)).toEqual(['a', 'b']);
    await expect(presence.countViewers('r1')).resolves.toBe(2);
    await expect(presence.get('r1', 'x')).resolves.toBeNull();
    // Removing it is a no-op rather than a crash.
    await presence.remove('r1', 'x', 's-x');
    expect(redis.hdel).not.toHaveBeenCalled();
  });
});
