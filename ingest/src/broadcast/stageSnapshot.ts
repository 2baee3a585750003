import {
  MAX_STAGE_LIMIT,
  type LayoutChoice,
  type LowerThird,
  type StagePeer,
  type StageSnapshot,
  type StageTile,
} from '@stagecast/protocol';

/** A room's stage as the compositor needs it. */
export interface StageInput {
  roomName: string;
  stage: StagePeer[];
  activeSpeakerPeerId: string | null;
  layout: LayoutChoice;
  /** The highlighted question, if any. */
  lowerThird?: LowerThird | null;
  version: number;
  /** A producer's codec (its mime subtype, e.g. `VP8`, `H264`), if it is in the room. */
  codecOf: (producerId: string) => string | undefined;
}

/**
 * The stage as the compositor lays it out: the people on air only. Camera-less people still get a tile (their name);
 * a paused producer counts as absent, so a muted camera shows the name tile instead of a frozen
 * frame and a muted microphone takes no audio slot. The picture shows one screen share (the
 * first on stage, with its audio): the compositor's inputs are sized for a full stage plus one
 * share, and a snapshot larger than that would be refused whole.
 */
export function stageSnapshot({
  roomName,
  stage,
  activeSpeakerPeerId,
  layout,
  lowerThird = null,
  version,
  codecOf,
}: StageInput): StageSnapshot {
  const tiles: StageTile[] = [];
  const audioProducerIds: string[] = [];
  let shared = false;
  // The compositor puts a picture into a slot of its codec (an H.264-only publisher: OBS over WHIP).
  const video = (producerId: string) => {
    const codec = codecOf(producerId)?.toLowerCase();
    return codec ? { videoProducerId: producerId, videoCodec: codec } : { videoProducerId: producerId };
  };
  // The stage cap keeps a stage within MAX_STAGE_LIMIT; cutting here keeps the snapshot valid
  // even if two processes admitted the last seat at once.
  // Backstage people are on the stage but not in the picture.
  for (const peer of stage.filter((p) => p.onAir).slice(0, MAX_STAGE_LIMIT)) {
    const live = (source: string) => peer.producers.find((p) => p.source === source && !p.paused);
    const screen = shared ? undefined : live('screen');
    if (screen) {
      shared = true;
      tiles.push({ peerId: peer.peerId, name: peer.name, source: 'screen', ...video(screen.id) });
    }
    const camera = live('camera');
    tiles.push({
      peerId: peer.peerId,
      name: peer.name,
      source: 'camera',
      ...(camera ? video(camera.id) : { videoProducerId: null }),
    });
    const mic = live('mic');
    if (mic) audioProducerIds.push(mic.id);
    const screenAudio = screen && live('screen-audio');
    if (screenAudio) audioProducerIds.push(screenAudio.id);
  }
  // Absent when none, so a snapshot without a highlighted question is as it always was.
  return {
    roomName,
    tiles,
    audioProducerIds,
    activeSpeakerPeerId,
    layout,
    ...(lowerThird ? { lowerThird } : {}),
    version,
  };
}
