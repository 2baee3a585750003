import type { RoomClosedReason } from '@stagecast/sdk';

/** What the end screen says when the server (or the network) ends the session. */
export interface EndNotice {
  title: string;
  message: string;
  /** Whether opening the link again can work (not after a ban). */
  canRejoin: boolean;
}

export function closedNotice(reason: RoomClosedReason | 'disconnected' | 'left', message: string): EndNotice {
  switch (reason) {
    case 'banned':
      return { title: 'You were removed', message: 'A host removed you from this room.', canRejoin: false };
    case 'token-expired':
      return {
        title: 'Session expired',
        message: 'Your session has expired. Rejoin to continue.',
        canRejoin: true,
      };
    case 'deleted':
      return { title: 'Room closed', message: 'The host closed this room.', canRejoin: false };
    case 'replaced':
      return {
        title: 'Joined elsewhere',
        message: 'You joined this room from another tab or device.',
        canRejoin: true,
      };
    case 'link-rotated':
      return {
        title: 'Link replaced',
        message: 'The host replaced the link you joined with. Ask them for the new one.',
        canRejoin: false,
      };
    case 'worker-died':
      return {
        title: 'Media server restarted',
        message: 'The media server restarted. Rejoin to continue.',
        canRejoin: true,
      };
    case 'left':
      return { title: 'You left the stage', message: 'Thanks for being on stage.', canRejoin: true };
    case 'disconnected':
      return {
        title: 'Disconnected',
        message: message || 'The connection to the server was closed.',
        canRejoin: true,
      };
  }
}
