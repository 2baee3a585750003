import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompositeJobData } from '@stagecast/protocol';
import { JobLockFence } from '../job/JobLockFence.js';
import { PlaylistWriter } from './PlaylistWriter.js';
import { fakeSession as fakeSessionIn } from './testFixtures.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
const logger = pino({ level: 'silent' });
const data: CompositeJobData = {
  roomId: 'fenced',
  roomName: 'Room',
  broadcastId: 'b1',
  startedAt: new Date(0).toISOString(),
  record: false,
  ladder: [{ name: 'hi', width: 1280, height: 720, videoKbps: 2500, audioKbps: 128 }],
  segmentSeconds: 2,
  liveWindow: 5,
  burnClock: false,
  frameRate: 30,
  slots: { video: 2, audio: 2 },
};

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const fakeSession = (dir: string, count: number) => fakeSessionIn(dir, ['hi'], count, { keyEvery: 2 });

const listed = async (hlsDir: string) =>
  (await readFile(join(hlsDir, 'hi', 'index.m3u8'), 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('#EXT-X-PART:'));

interface Claim {
  job: Job<CompositeJobData>;
  token: string;
}

/** A worker whose processor hands over the job and its lock token, then holds the job until closed. */
function worker(queueName: string, options: { lockDuration: number; lockRenewTime?: number }) {
  let claimed!: (claim: Claim) => void;
  let release!: () => void;
  const claim = new Promise<Claim>((resolve) => (claimed = resolve));
  const held = new Promise<void>((resolve) => (release = resolve));
  const w = new Worker<CompositeJobData>(
    queueName,
    async (job, token) => {
      claimed({ job, token: token ?? '' });
      await held;
    },
    { connection, stalledInterval: 200, maxStalledCount: 100, ...options },
  );
  // The superseded worker's completion is refused (its lock is gone): expected here.
  w.on('error', () => undefined);
  cleanups.push(async () => {
    release();
    await w.close(true);
  });
  return { claim };
}

describe('playlist writes fenced by the job lock', () => {
  it('a stalled transcoder writes no playlist once another took its job over', async () => {
    const queueName = `composite-fence-${randomUUID()}`;
    const queue = new Queue<CompositeJobData>(queueName, { connection });
    const redis = new Redis(REDIS_URL);
    cleanups.push(() => redis.quit());
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'stagecast-fence-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const hlsDir = join(dataDir, 'hls', data.roomId);
    await queue.add('composite', data, { jobId: `${data.roomId}.${data.broadcastId}` });

    // The old transcoder never renews its lock, as when its event loop stalls.
    const old = worker(queueName, { lockDuration: 800, lockRenewTime: 600_000 });
    const first = await old.claim;
    let fenced = 0;
    const writer = await PlaylistWriter.open({
      job: data,
      hlsDir,
      vodDir: join(dataDir, 'vod'),
      logger,
      fence: new JobLockFence(redis, first.job, first.token),
      onFenced: () => fenced++,
    });
    const session = join(dataDir, 'session-1');
    writer.addSession('s1', session);
    await fakeSession(session, 1);
    await writer.poll();
    expect(await listed(hlsDir)).toHaveLength(1);

    // Its lock expires; the stalled check hands the job to another transcoder.
    const successor = worker(queueName, { lockDuration: 30_000 });
    const second = await successor.claim;
    expect(second.token).not.toBe(first.token);
    expect(await new JobLockFence(redis, second.job, second.token).holds()).toBe(true);

    // The old one wakes up with a new part: nothing reaches the public playlist.
    await fakeSession(session, 2);
    await writer.poll();
    await writer.end();
    expect(await listed(hlsDir)).toHaveLength(1);
    expect(await readFile(join(hlsDir, 'hi', 'index.m3u8'), 'utf8')).not.toContain('#EXT-X-ENDLIST');
    expect(writer.superseded).toBe(true);
    expect(fenced).toBe(1);
  }, 20_000);
});
