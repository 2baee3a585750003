import type { LinkKind } from '@stagecast/protocol';

/** Socket.IO room names. */
export const channels = {
  /** Everyone in a room, on every ingest process. */
  room: (roomId: string) => `room:${roomId}`,
  /** Those who may manage the stage (hosts and co-hosts). */
  managers: (roomId: string) => `room:${roomId}:managers`,
  /** Those on stage (WebRTC), on this process. */
  stage: (roomId: string) => `room:${roomId}:stage`,
  /** One peer, whichever connection it uses. */
  peer: (roomId: string, peerId: string) => `room:${roomId}:peer:${peerId}`,
  /** Those who joined through one generation of a role link: rotating the link closes them. */
  link: (roomId: string, link: LinkKind, gen: number) => `room:${roomId}:link:${link}:${gen}`,
};
