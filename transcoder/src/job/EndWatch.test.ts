import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { broadcastKey, DEFAULT_LADDER, type CompositeJobData } from '@stagecast/protocol';
import { EndWatch } from './EndWatch.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.quit());

const job = (): CompositeJobData => ({
  roomId: `endwatch-${randomBytes(4).toString('hex')}`,
  roomName: 'Launch',
  broadcastId: 'b1',
  startedAt: new Date(0).toISOString(),
  record: false,
  ladder: [...DEFAULT_LADDER],
  segmentSeconds: 2,
  liveWindow: 10,
  burnClock: false,
  frameRate: 30,
  slots: { video: 2, audio: 2 },
});

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
