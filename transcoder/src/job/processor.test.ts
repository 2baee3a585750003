import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { parseJobData } from './processor.js';
import { jobData } from './testFixtures.js';

const good = jobData();

describe('composite job data', () => {
  it('accepts what ingest enqueues', () => {
    expect(parseJobData(good)).toEqual(good);
    // H.264 slots, and none (a job queued before they existed).
    const h264 = { ...good, slots: { ...good.slots, h264: 2 } };
    expect(parseJobData(h264)).toEqual(h264);
  });

  it.each([
    ['no data', null],
    ['a path in the room id', { ...good, roomId: '../etc' }],
    ['an empty ladder', { ...good, ladder: [] }],
    ['a segment length out of range', { ...good, segmentSeconds: 30 }],
    ['a string frame rate', { ...good, frameRate: '30' }],
    ['negative H.264 slots', { ...good, slots: { ...good.slots, h264: -1 } }],
    ['more H.264 slots than tiles', { ...good, slots: { ...good.slots, h264: 10 } }],
  ])('refuses %s with UnrecoverableError, so BullMQ does not retry it', (_what, data) => {
    expect(() => parseJobData(data)).toThrow(UnrecoverableError);
  });
});
