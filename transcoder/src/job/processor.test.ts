import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { DEFAULT_LADDER, type CompositeJobData } from '@stagecast/protocol';
import { parseJobData } from './processor.js';

const good: CompositeJobData = {
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
};

describe('composite job data', () => {
  it('accepts what ingest enqueues', () => {
    expect(parseJobData(good)).toEqual(good);
  });

  it.each([
    ['no data', null],
    ['a path in the room id', { ...good, roomId: '../etc' }],
    ['an empty ladder', { ...good, ladder: [] }],
    ['a segment length out of range', { ...good, segmentSeconds: 30 }],
    ['a string frame rate', { ...good, frameRate: '30' }],
  ])('refuses %s with UnrecoverableError, so BullMQ does not retry it', (_what, data) => {
    expect(() => parseJobData(data)).toThrow(UnrecoverableError);
  });
});
