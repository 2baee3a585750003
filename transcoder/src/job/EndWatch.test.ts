import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { broadcastKey } from '@stagecast/protocol';
import { EndWatch } from './EndWatch.js';
import { jobData } from './testFixtures.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.quit());

const job = () => jobData({ roomId: `endwatch-${randomBytes(4).toString('hex')}`, broadcastId: 'b1' });

async function stopWanted(record: string): Promise<boolean> {
  const data = job();
  await redis.set(broadcastKey(data.roomId), record, 'EX', 30);
  return new EndWatch(redis, data, 60_000).stopWanted();
}

describe('EndWatch reads the broadcast record ingest wrote', () => {
  it('stopped, or a newer broadcast: the job ends', async () => {
    expect(
      await stopWanted(JSON.stringify({ wanted: 'stopped', live: { state: 'live', broadcastId: 'b1' } })),
    ).toBe(true);
    expect(
      await stopWanted(JSON.stringify({ wanted: 'live', live: { state: 'live', broadcastId: 'b2' } })),
    ).toBe(true);
    expect(
      await stopWanted(JSON.stringify({ wanted: 'live', live: { state: 'live', broadcastId: 'b1' } })),
    ).toBe(false);
  });

  it('a record that is not JSON or not of the schema is not a stop (and does not throw)', async () => {
    expect(await stopWanted('{not json')).toBe(false);
    expect(await stopWanted(JSON.stringify({ wanted: 'stopped' }))).toBe(false);
    expect(await stopWanted(JSON.stringify({ wanted: 'stopped', live: 'unreadable' }))).toBe(false);
    expect(await stopWanted(JSON.stringify({ wanted: 'maybe', live: { state: 'live' } }))).toBe(false);
  });
});

describe('EndWatch and an empty stage', () => {
  it('counts the empty stage from the first segment on, not while the broadcast starts', async () => {
    const watch = new EndWatch(redis, job(), 4000);
    const t0 = Date.now();
    // Starting for longer than the timeout (a busy machine): not a reason to end.
    expect(await watch.check(t0 + 10_000, false)).toBeNull();
    expect(await watch.check(t0 + 12_000, true)).toBeNull();
    expect(await watch.check(t0 + 14_500, true)).toBe('empty stage');
  });
});
