/** Stable error codes carried by every error that crosses a process boundary. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'WRONG_ROOM',
  'FORBIDDEN',
  'NOT_FOUND',
  'ROOM_NOT_FOUND',
  'ROOM_CLOSED',
  'CONFLICT',
  'RATE_LIMITED',
  /** A per-peer cap on transports, producers or consumers (server settings); nothing was created. */
  'LIMIT_REACHED',
  'CHAT_MUTED',
  'SLOW_MODE',
  'BANNED',
  /** The role link was rotated: tokens made from the old link no longer admit anyone. */
  'LINK_REVOKED',
  'STAGE_FULL',
  'NO_INVITE',
  'INVITE_EXPIRED',
  'NOT_LIVE',
  /** The room already has an open poll: close it before opening another. */
  'POLL_OPEN',
  /** The poll is closed: it takes no more votes. */
  'POLL_CLOSED',
  /** A host hard-muted this source: only a host can lift it, then the member may unmute. */
  'HARD_MUTED',
  /**
   * Another ingest process owns the room's media (its stage router); connect there instead
   * (`ConnectErrorData.ownerUrl`, `WireError.ownerUrl`).
   */
  'MEDIA_ELSEWHERE',
  /** An LL-HLS blocking reload asked for a segment or part too far past the live edge (RFC 8216bis §6.2.5.2). */
  'BEYOND_LIVE_EDGE',
  'PAYLOAD_TOO_LARGE',
  /** A webhook URL that is not http(s) (or not a URL at all). */
  'WEBHOOK_URL_INVALID',
  /** A webhook subscription names an event that does not exist (see `WEBHOOK_EVENTS`). */
  'WEBHOOK_EVENT_UNKNOWN',
  /** A restream URL that is not rtmp(s)://host/… (or carries credentials). */
  'RESTREAM_URL_INVALID',
  /** The room has as many restream destinations as it may (`MAX_RESTREAMS`): remove one first. */
  'RESTREAM_LIMIT',
  /** A request body of a type the endpoint does not take (WHIP wants `application/sdp`). */
  'UNSUPPORTED_MEDIA_TYPE',
  /** A WHIP offer with no codec the stage takes (VP8 or H.264 video, Opus audio). */
  'CODEC_UNSUPPORTED',
  /** `If-Match` names another version of the resource (WHIP PATCH after an ICE restart). */
  'PRECONDITION_FAILED',
  /** The server cannot serve this now (its Redis is out of reach, no worker): try again later. */
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error as it travels over Socket.IO acks and REST responses. */
export interface WireError {
  code: ErrorCode;
  message: string;
  /**
   * For RATE_LIMITED, CHAT_MUTED and SLOW_MODE, and UNAVAILABLE while the server's Redis is
   * out of reach: when a retry can succeed.
   */
  retryAfterMs?: number;
  /** For MEDIA_ELSEWHERE: the base URL of the ingest process that owns the room's media. */
  ownerUrl?: string;
}

/** The answer to every Socket.IO request. Handlers never throw across the wire. */
export type AckResult<T> = { ok: true; data: T } | { ok: false; error: WireError };

/** HTTP status for each code, used by the REST API. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  WRONG_ROOM: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROOM_NOT_FOUND: 404,
  ROOM_CLOSED: 410,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  LIMIT_REACHED: 409,
  CHAT_MUTED: 403,
  SLOW_MODE: 429,
  BANNED: 403,
  LINK_REVOKED: 410,
  STAGE_FULL: 409,
  NO_INVITE: 404,
  INVITE_EXPIRED: 410,
  NOT_LIVE: 409,
  POLL_OPEN: 409,
  POLL_CLOSED: 409,
  HARD_MUTED: 403,
  MEDIA_ELSEWHERE: 421,
  BEYOND_LIVE_EDGE: 400,
  PAYLOAD_TOO_LARGE: 413,
  WEBHOOK_URL_INVALID: 400,
  WEBHOOK_EVENT_UNKNOWN: 400,
  RESTREAM_URL_INVALID: 400,
  RESTREAM_LIMIT: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CODEC_UNSUPPORTED: 422,
  PRECONDITION_FAILED: 412,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Base class of every Stagecast error; `code` is stable, `message` is for people. */
export class StagecastError extends Error {
  override readonly name: string = 'StagecastError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
    /** For MEDIA_ELSEWHERE: where the room's media is. */
    readonly ownerUrl?: string,
  ) {
    super(message);
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) wire.retryAfterMs = this.retryAfterMs;
    if (this.ownerUrl !== undefined) wire.ownerUrl = this.ownerUrl;
    return wire;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
