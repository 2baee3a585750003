import { StagecastClientError } from '@stagecast/sdk';
import type { ErrorCode } from '@stagecast/sdk';

/** Messages people can act on; the server's own message is kept for anything unexpected. */
const MESSAGES: Partial<Record<ErrorCode, string>> = {
  TOKEN_INVALID: 'This link is not valid. Ask the host for a new one.',
  TOKEN_EXPIRED: 'Your session has expired. Open the link again to rejoin.',
  UNAUTHORIZED: 'This link is not valid. Ask the host for a new one.',
  NOT_FOUND: 'This link is not valid or the room no longer exists.',
  ROOM_NOT_FOUND: 'This room no longer exists.',
  ROOM_CLOSED: 'This room has been closed.',
  BANNED: 'You were removed from this room by a host.',
  LINK_REVOKED: 'This link was replaced. Ask the host for the new one.',
  FORBIDDEN: 'You are not allowed to do that.',
  STAGE_FULL: 'The stage is full. Someone has to leave it (or be moved to the audience) first.',
  LIMIT_REACHED: 'This connection already uses all the media it may. Reload the page to start afresh.',
  UNAVAILABLE: 'The server cannot be reached right now. Check your connection and try again.',
  INVITE_EXPIRED: 'That invitation has expired.',
  NO_INVITE: 'That invitation is no longer open.',
  NOT_LIVE: 'The broadcast is not live.',
  POLL_OPEN: 'A poll is already open. Close it before starting another.',
  POLL_CLOSED: 'This poll has closed.',
};

/** Codes that need a retry countdown in the message. */
const WAIT_CODES: Partial<Record<ErrorCode, string>> = {
  RATE_LIMITED: 'You are sending messages too fast.',
  SLOW_MODE: 'Slow mode is on.',
  CHAT_MUTED: 'A host has muted you in the chat.',
};

/** A short, human sentence for any error thrown by the SDK, the browser or our own code. */
export function describeError(error: unknown): string {
  if (error instanceof StagecastClientError) {
    const wait = WAIT_CODES[error.code];
    if (wait) {
      const seconds =
        error.retryAfterMs === undefined ? null : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
      return seconds === null ? wait : `${wait} Try again in ${seconds} s.`;
    }
    return MESSAGES[error.code] ?? error.message;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/** The stable code of an SDK error, or null for anything else. */
export function errorCode(error: unknown): ErrorCode | null {
  return error instanceof StagecastClientError ? error.code : null;
}
