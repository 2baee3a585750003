import { DEFAULT_LADDER, type CompositeJobData } from '@stagecast/protocol';

/** A composite job as ingest enqueues it, with the fields a test cares about replaced. */
export const jobData = (over: Partial<CompositeJobData> = {}): CompositeJobData => ({
  roomId: 'room1',
  roomName: 'Launch',
  broadcastId: '20261201-abc',
  startedAt: new Date(0).toISOString(),
  record: true,
  ladder: [...DEFAULT_LADDER],
  segmentSeconds: 2,
  liveWindow: 10,
  burnClock: false,
  frameRate: 30,
  slots: { video: 2, audio: 2 },
  ...over,
});
