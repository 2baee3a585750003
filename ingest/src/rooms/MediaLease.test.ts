import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '../core/logger.js';
import { MediaLease, requireMediaOwner } from './MediaLease.js';

// Against the real Redis: the lease is a Lua script's atomicity, which only Redis can show.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger('silent');
const admin = new Redis(url);
const opened: { lease: MediaLease; redis: Redis }[] = [];

function ingestProcess(name: string, ttlMs = 600): { lease: MediaLease; redis: Redis } {
  const redis = new Redis(url);
  const lease = new MediaLease(redis, { ttlMs, url: () => `http://${name}.test:8080` }, logger);
  const made = { lease, redis };
  opened.push(made);
  return made;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const { lease, redis } of opened.splice(0)) {
    await lease.close().catch(() => undefined);
    redis.disconnect();
  }
});
afterAll(async () => {
  await admin.quit();
});

describe('MediaLease', () => {
  it('one process owns a room; another is told where, and the owner asking again keeps its epoch', async () => {
    const room = randomUUID();
    const a = ingestProcess('a').lease;
    const b = ingestProcess('b').lease;
    const first = await a.acquire(room);
    expect(first).toMatchObject({ owned: true });
    expect(await b.acquire(room)).toEqual({ owned: false, ownerUrl: 'http://a.test:8080' });
    expect(b.epochOf(room)).toBeUndefined();
    expect(await a.acquire(room)).toEqual(first);
    await expect(requireMediaOwner(b, room)).rejects.toMatchObject({
      code: 'MEDIA_ELSEWHERE',
      ownerUrl: 'http://a.test:8080',
    });
  });

  it('concurrent takers: exactly one wins', async () => {
    const room = randomUUID();
    const leases = ['a', 'b', 'c', 'd'].map((name) => ingestProcess(name).lease);
    const answers = await Promise.all(leases.map((lease) => lease.acquire(room)));
    expect(answers.filter((a) => a.owned)).toHaveLength(1);
  });

  it('a living owner keeps its lease far past the TTL (it renews), so it never flaps', async () => {
    const room = randomUUID();
    const a = ingestProcess('a', 600).lease;
    const b = ingestProcess('b', 600).lease;
    const { epoch } = (await a.acquire(room)) as { epoch: number };
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      expect(await b.acquire(room)).toEqual({ owned: false, ownerUrl: 'http://a.test:8080' });
    }
    expect(a.epochOf(room)).toBe(epoch);
  });

  it('released (the room closed there): the next taker owns it at once, under a higher epoch', async () => {
    const room = randomUUID();
    const a = ingestProcess('a').lease;
    const b = ingestProcess('b').lease;
    const first = (await a.acquire(room)) as { epoch: number };
    await a.release(room);
    expect(a.epochOf(room)).toBeUndefined();
    const second = await b.acquire(room);
    expect(second.owned && second.epoch).toBeGreaterThan(first.epoch);
  });

  it('a dead owner (no renewals): the lease expires and another process takes the room', async () => {
    const room = randomUUID();
    const dead = ingestProcess('a', 500);
    const b = ingestProcess('b', 500).lease;
    const first = (await dead.lease.acquire(room)) as { epoch: number };
    // The process is gone as far as Redis can tell: its connection is closed, nothing renews.
    dead.redis.disconnect();
    expect(await b.acquire(room)).toMatchObject({ owned: false });
    await sleep(700);
    const second = await b.acquire(room);
    expect(second.owned && second.epoch).toBeGreaterThan(first.epoch);
  });

  it('an owner whose lease moved on learns it at its next renewal', async () => {
    const room = randomUUID();
    const a = ingestProcess('a', 400).lease;
    const b = ingestProcess('b', 400).lease;
    await a.acquire(room);
    const lost = new Promise<string>((resolve) => a.on('lost', resolve));
    // What an expiry during a long stall of `a` looks like: the key is gone, `b` takes it.
    await admin.del(`stagecast:room:${room}:media-owner`);
    expect(await b.acquire(room)).toMatchObject({ owned: true });
    expect(await lost).toBe(room);
    expect(a.epochOf(room)).toBeUndefined();
    expect(await a.acquire(room)).toEqual({ owned: false, ownerUrl: 'http://b.test:8080' });
  });
});
