import type { LayoutChoice, StagePeer, StageSnapshot, StageTile } from '@stagecast/protocol';

/** A room's stage as the compositor needs it. */
export interface StageInput {
  roomName: string;
  stage: StagePeer[];
  activeSpeakerPeerId: string | null;
  layout: LayoutChoice;
  version: number;
}

/**
 * The stage as the compositor lays it out. Camera-less people still get a tile (their name);
 * a paused producer counts as absent, so a muted camera shows the name tile instead of a frozen
 * frame and a muted microphone takes no audio slot.
 */
export function stageSnapshot({
  roomName,
  stage,
  activeSpeakerPeerId,
  layout,
  version,
}: StageInput): StageSnapshot {
  const tiles: StageTile[] = [];
  const audioProducerIds: string[] = [];
  for (const peer of stage) {
    const live = (source: string) => peer.producers.find((p) => p.source === source && !p.paused);
    const screen = live('screen');
    if (screen)
      tiles.push({ peerId: peer.peerId, name: peer.name, source: 'screen', videoProducerId: screen.id });
    tiles.push({
      peerId: peer.peerId,
      name: peer.name,
      source: 'camera',
      videoProducerId: live('camera')?.id ?? null,
    });
    for (const p of peer.producers) if (p.kind === 'audio' && !p.paused) audioProducerIds.push(p.id);
  }
  return { roomName, tiles, audioProducerIds, activeSpeakerPeerId, layout, version };
}
