import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LAYOUT,
  MAX_SNAPSHOT_ENTRIES,
  type LayoutChoice,
  type ProducerInfo,
  type StagePeer,
} from '@stagecast/protocol';
import { stageSnapshot } from './stageSnapshot.js';

const producer = (
  peerId: string,
  id: string,
  source: ProducerInfo['source'],
  paused = false,
): ProducerInfo => ({
  id,
  peerId,
  kind: source === 'camera' || source === 'screen' ? 'video' : 'audio',
  source,
  paused,
});
const peer = (peerId: string, producers: ProducerInfo[], onAir = true): StagePeer => ({
  peerId,
  name: peerId.toUpperCase(),
  role: 'cohost',
  producers,
  onAir,
  hardMuted: [],
});
const spotlight: LayoutChoice = { mode: 'spotlight', pinnedPeerId: 'b' };
/** Producers whose codec the room does not know (the codec is left out). */
const unknownCodecs = () => undefined;

describe('stageSnapshot', () => {
  it('leaves backstage people out of the picture and the mix', () => {
    const stage = [
      peer('a', [producer('a', 'a-cam', 'camera'), producer('a', 'a-mic', 'mic')]),
      peer('b', [producer('b', 'b-cam', 'camera'), producer('b', 'b-mic', 'mic')], false),
    ];
    const snap = stageSnapshot({
      roomName: 'R',
      stage,
      activeSpeakerPeerId: null,
      layout: DEFAULT_LAYOUT,
      version: 1,
      codecOf: unknownCodecs,
    });
    expect(snap.tiles.map((t) => t.peerId)).toEqual(['a']);
    expect(snap.audioProducerIds).toEqual(['a-mic']);
  });

  it('gives everyone a camera tile, a share its own tile before it, and live microphones the mix', () => {
    const stage = [
      peer('a', [producer('a', 'a-cam', 'camera'), producer('a', 'a-mic', 'mic')]),
      peer('b', [
        producer('b', 'b-screen', 'screen'),
        producer('b', 'b-screen-audio', 'screen-audio'),
        producer('b', 'b-mic', 'mic', true),
      ]),
      peer('c', [producer('c', 'c-cam', 'camera', true)]),
    ];
    const snapshot = stageSnapshot({
      roomName: 'Room',
      stage,
      activeSpeakerPeerId: 'a',
      layout: spotlight,
      version: 7,
      codecOf: (id) =>
        new Map([
          ['a-cam', 'VP8'],
          ['b-screen', 'H264'],
        ]).get(id),
    });
    expect(snapshot).toEqual({
      roomName: 'Room',
      tiles: [
        // Each picture with its codec, lowercase: the compositor puts it into a slot of that codec.
        { peerId: 'a', name: 'A', source: 'camera', videoProducerId: 'a-cam', videoCodec: 'vp8' },
        { peerId: 'b', name: 'B', source: 'screen', videoProducerId: 'b-screen', videoCodec: 'h264' },
        // No camera, and a paused camera: a name tile.
        { peerId: 'b', name: 'B', source: 'camera', videoProducerId: null },
        { peerId: 'c', name: 'C', source: 'camera', videoProducerId: null },
      ],
      audioProducerIds: ['a-mic', 'b-screen-audio'],
      activeSpeakerPeerId: 'a',
      layout: spotlight,
      version: 7,
    });
  });

  it('puts one screen share in the picture: the first on stage, with its audio', () => {
    const sharer = (id: string) =>
      peer(id, [
        producer(id, `${id}-screen`, 'screen'),
        producer(id, `${id}-screen-audio`, 'screen-audio'),
        producer(id, `${id}-mic`, 'mic'),
      ]);
    const snapshot = stageSnapshot({
      roomName: 'Room',
      stage: [sharer('a'), sharer('b')],
      activeSpeakerPeerId: null,
      layout: spotlight,
      version: 1,
      codecOf: unknownCodecs,
    });
    expect(snapshot.tiles.map((t) => `${t.peerId}:${t.source}`)).toEqual([
      'a:screen',
      'a:camera',
      'b:camera',
    ]);
    expect(snapshot.audioProducerIds).toEqual(['a-mic', 'a-screen-audio', 'b-mic']);
  });

  it('never carries more than the compositor accepts, however many are on stage', () => {
    const stage = Array.from({ length: 40 }, (_, i) =>
      peer(`p${i}`, [
        producer(`p${i}`, `p${i}-mic`, 'mic'),
        producer(`p${i}`, `p${i}-screen`, 'screen'),
        producer(`p${i}`, `p${i}-screen-audio`, 'screen-audio'),
      ]),
    );
    const snapshot = stageSnapshot({
      roomName: 'Room',
      stage,
      activeSpeakerPeerId: null,
      layout: spotlight,
      version: 1,
      codecOf: unknownCodecs,
    });
    expect(snapshot.tiles).toHaveLength(MAX_SNAPSHOT_ENTRIES);
    expect(snapshot.audioProducerIds).toHaveLength(MAX_SNAPSHOT_ENTRIES);
  });

  it('describes an empty stage', () => {
    const snapshot = stageSnapshot({
      roomName: 'Room',
      stage: [],
      activeSpeakerPeerId: null,
      layout: spotlight,
      version: 0,
      codecOf: unknownCodecs,
    });
    expect(snapshot).toEqual({
      roomName: 'Room',
      tiles: [],
      audioProducerIds: [],
      activeSpeakerPeerId: null,
      layout: spotlight,
      version: 0,
    });
  });
});

describe('stageSnapshot: the lower-third (upvote Q&A)', () => {
  it('carries the highlighted question when there is one, and nothing otherwise', () => {
    const input = {
      roomName: 'Town hall',
      stage: [],
      activeSpeakerPeerId: null,
      layout: { mode: 'auto' as const, pinnedPeerId: null },
      version: 3,
      codecOf: unknownCodecs,
    };
    const lowerThird = { text: 'When is the next release?', name: 'Vik' };
    expect(stageSnapshot({ ...input, lowerThird }).lowerThird).toEqual(lowerThird);
    expect('lowerThird' in stageSnapshot({ ...input, lowerThird: null })).toBe(false);
    expect('lowerThird' in stageSnapshot(input)).toBe(false);
  });
});
