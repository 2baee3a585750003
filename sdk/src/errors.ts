import type { ErrorCode, WireError } from '@stagecast/protocol';

/** A refused request or failed connection; `code` is stable (see the protocol's ErrorCode). */
export class StagecastClientError extends Error {
  override readonly name = 'StagecastClientError';
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;
  /** For MEDIA_ELSEWHERE: the server that holds the room's stage. */
  readonly ownerUrl?: string;

  constructor(error: WireError) {
    super(error.message);
    this.code = error.code;
    if (error.retryAfterMs !== undefined) this.retryAfterMs = error.retryAfterMs;
    if (error.ownerUrl !== undefined) this.ownerUrl = error.ownerUrl;
  }
}
