import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, LinkKind, ServerToClientEvents, Role } from '@stagecast/protocol';

/** Per-connection data, set once the token is verified. */
export interface SocketData {
  roomId: string;
  peerId: string;
  name: string;
  /** The role the token grants. */
  tokenRole: Role;
  /** The role at connection time (a promoted viewer is a guest); afterwards it lives on the Peer. */
  role: Role;
  /** The client's IP (see `STAGECAST_TRUST_PROXY`), for the limits counted per address. */
  ip: string;
  /** The role link (and its generation) the token was made from. */
  link: LinkKind;
  gen: number;
}

/** Events between ingest processes (through the Socket.IO Redis adapter). */
export interface InterServerEvents {
  /** Apply a role change to a peer connected to whichever process has it. */
  setRole: (
    roomId: string,
    peerId: string,
    role: Role,
    reason: 'invite-accepted' | 'demoted' | 'left-stage',
  ) => void;
  /** Disconnect a banned peer wherever it is connected. */
  kick: (roomId: string, peerId: string, message: string) => void;
  /** A room's layout choice changed: the process holding its stage re-sends the snapshot. */
  layoutChanged: (roomId: string) => void;
  /** A stage member's on-air state or hard mutes changed in Redis: the process holding them applies it. */
  stageControlChanged: (roomId: string, peerId: string) => void;
}

export type StagecastServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type StagecastSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
