import { describe, expect, it } from 'vitest';
import {
  MAX_SNAPSHOT_ENTRIES,
  MAX_STAGE_LIMIT,
  type IngestMessage,
  type StageTile,
} from '@stagecast/protocol';
import { ingestMessageSchema } from './schemas.js';

/** A stage message of `people` camera tiles and microphones, plus one screen share and its audio. */
function stage(people: number): IngestMessage {
  const tiles: StageTile[] = Array.from({ length: people }, (_, i) => ({
    peerId: `p${i}`,
    name: `P${i}`,
    source: 'camera',
    videoProducerId: `cam${i}`,
  }));
  tiles.unshift({ peerId: 'p0', name: 'P0', source: 'screen', videoProducerId: 'screen' });
  const audioProducerIds = [...Array.from({ length: people }, (_, i) => `mic${i}`), 'screen-audio'];
  return {
    type: 'stage',
    roomId: 'room',
    epoch: 1,
    stage: {
      roomName: 'Room',
      tiles,
      audioProducerIds,
      activeSpeakerPeerId: null,
      layout: { mode: 'auto', pinnedPeerId: null },
      version: 1,
    },
  };
}

describe('ingestMessageSchema', () => {
  it('accepts the largest stage ingest can be configured for, with a screen share', () => {
    expect(MAX_SNAPSHOT_ENTRIES).toBe(MAX_STAGE_LIMIT + 1);
    expect(ingestMessageSchema.safeParse(stage(MAX_STAGE_LIMIT)).success).toBe(true);
  });

  it('refuses a stage larger than that', () => {
    expect(ingestMessageSchema.safeParse(stage(MAX_STAGE_LIMIT + 1)).success).toBe(false);
  });

  it('takes a tile’s codec only as a short lowercase name', () => {
    const withCodec = (videoCodec: string): IngestMessage => {
      const msg = stage(1);
      if (msg.type === 'stage') msg.stage.tiles = msg.stage.tiles.map((t) => ({ ...t, videoCodec }));
      return msg;
    };
    expect(ingestMessageSchema.safeParse(withCodec('h264')).success).toBe(true);
    expect(ingestMessageSchema.safeParse(withCodec('H264')).success).toBe(false);
    expect(ingestMessageSchema.safeParse(withCodec('h264;x')).success).toBe(false);
    expect(ingestMessageSchema.safeParse(withCodec('x'.repeat(17))).success).toBe(false);
  });
});
