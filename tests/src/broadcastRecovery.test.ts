import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { COMPOSITE_QUEUE, type LiveState, type Recording, type RoomInfo } from '@stagecast/protocol';
import { probeStreams } from './helpers/hls.js';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { TranscoderProcess } from './helpers/transcoderProcess.js';

/*
 * Everyone leaves and every ingest process goes down while the room is live: the compositor
 * ends the broadcast by itself, and the next ingest to start reports it ended, with its recording.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}, 60_000);

describe('a broadcast left behind', () => {
  it('ends by itself with nobody on stage; an ingest started later shows it ended with the recording', async () => {
    const redisUrl = await ownRedisDatabase(9);
    const dataDir = await mkdtemp(join(tmpdir(), 'stagecast-recovery-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const transcoder = TranscoderProcess.start({
      dataDir,
      redisUrl,
      extra: { STAGECAST_EMPTY_STAGE_TIMEOUT_S: '4' },
    });
    cleanups.push(() => transcoder.stop());
    const queue = new Queue(COMPOSITE_QUEUE, { connection: { url: redisUrl } });
    cleanups.push(() => queue.close());

    const first = await TestIngest.start({ redisUrl, dataDir });
    const { id } = await first.createRoom('Left behind');
    const started = await first.api<{ live: LiveState }>('POST', `/api/rooms/${id}/broadcast`, {
      action: 'start',
    });
    const broadcastId = started.body.live.broadcastId ?? '';
    await waitFor(
      async () => (await first.api<RoomInfo>('GET', `/api/rooms/${id}`)).body.live.state === 'live',
      'the slate to go live',
      30_000,
    );
    await first.close();

    // Nobody hears the compositor's `ended` now; the job's own state still says how it finished.
    const job = await waitFor(() => queue.getJob(`${id}.${broadcastId}`), 'the job');
    await waitFor(
      async () => (await job.getState()) === 'completed',
      'the broadcast to end by itself',
      30_000,
    );

    const second = await TestIngest.start({ redisUrl, dataDir });
    cleanups.push(() => second.close());
    const { body } = await second.api<RoomInfo>('GET', `/api/rooms/${id}`);
    expect(body.live).toMatchObject({
      state: 'ended',
      broadcastId,
      recordingUrl: `/vod/${id}/${broadcastId}/master.m3u8`,
    });
    const recordings = (await second.api<{ recordings: Recording[] }>('GET', `/api/rooms/${id}/recordings`))
      .body.recordings;
    expect(recordings.map((r) => r.broadcastId)).toEqual([broadcastId]);
    const streams = await probeStreams(`${second.url}${recordings[0]?.url ?? ''}`);
    expect(streams.video).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
