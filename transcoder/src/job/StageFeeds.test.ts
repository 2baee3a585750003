import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { IngestLink } from './IngestLink.js';
import { StageFeeds, type WantedFeed } from './StageFeeds.js';
import { SlotRelay } from '../relay/SlotRelay.js';

/*
 * Which slot a producer gets, by codec, with the real relay (UDP sockets) and a real Redis
 * link. Nobody answers the binds here: a producer is in its slot from the moment it is wanted.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function feedsWith(slots: { video: number; audio: number; h264: number }) {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  const redis = new Redis(REDIS_URL);
  const relay = await SlotRelay.create(
    '127.0.0.1',
    slots,
    { onSlotLive: () => undefined, onSlotQuiet: () => undefined, onKeyFrameWanted: () => undefined },
    logger,
  );
  const link = await IngestLink.create(
    `feeds-${Date.now()}`,
    redis,
    {
      onStage: () => undefined,
      onStop: () => undefined,
      onCue: () => undefined,
      onRestreams: () => undefined,
    },
    logger,
  );
  const feeds = new StageFeeds(relay, link, '127.0.0.1', logger, () => undefined);
  closers.push(
    () => redis.quit(),
    () => relay.close(),
    () => link.close(),
    () => feeds.close(),
    // The binds under way reach Redis first (they then wait for an answer the link's close ends).
    () => new Promise((resolve) => setTimeout(resolve, 300)),
  );
  const unplaced = () =>
    warnings
      .filter((w) => w.includes('no free'))
      .map((w) => (JSON.parse(w) as { producer: string }).producer);
  return { feeds, unplaced };
}

const v = (producerId: string, codec: string): WantedFeed => ({ producerId, codec });

describe('StageFeeds: slots by codec', () => {
  it('puts each producer into a slot of its codec; one with no free slot is left out, logged once', async () => {
    const { feeds, unplaced } = await feedsWith({ video: 2, audio: 1, h264: 1 });
    // Video slots 0–1 are VP8, slot 2 H.264.
    const wanted = [v('obs', 'h264'), v('cam', 'vp8'), v('obs2', 'h264'), v('av1', 'av1')];
    feeds.sync({ video: wanted, audio: [v('mic', 'opus')] });
    expect(feeds.videoSlotOf('obs')).toBe(2);
    expect(feeds.videoSlotOf('cam')).toBe(0);
    expect(feeds.videoSlotOf('obs2')).toBeUndefined();
    expect(feeds.videoSlotOf('av1')).toBeUndefined();
    expect(unplaced()).toEqual(['obs2', 'av1']);
    // The same stage again: nothing new to say.
    feeds.sync({ video: wanted, audio: [] });
    expect(unplaced()).toEqual(['obs2', 'av1']);
    // The first H.264 publisher leaves the picture: the second takes its slot.
    feeds.sync({ video: [v('cam', 'vp8'), v('obs2', 'h264')], audio: [] });
    expect(feeds.videoSlotOf('obs')).toBeUndefined();
    expect(feeds.videoSlotOf('obs2')).toBe(2);
    expect(feeds.videoSlotOf('cam')).toBe(0);
  });

  it('without H.264 slots, an H.264 producer never takes a VP8 slot', async () => {
    const { feeds, unplaced } = await feedsWith({ video: 2, audio: 1, h264: 0 });
    feeds.sync({ video: [v('obs', 'h264'), v('cam', 'vp8')], audio: [] });
    expect(feeds.videoSlotOf('obs')).toBeUndefined();
    expect(feeds.videoSlotOf('cam')).toBe(0);
    expect(unplaced()).toEqual(['obs']);
  });
});
