export { Room, type ConnectOptions, type RoomEvents } from './Room.js';
export { Emitter } from './Emitter.js';
export { ChatClient, type ChatClientEvents, type ChatClientOptions, type SendOptions } from './ChatClient.js';
export { ModerationClient, type ModerationClientEvents } from './ModerationClient.js';
export { QuestionsClient, type QuestionsClientEvents, type QuestionOrder } from './QuestionsClient.js';
export { HandsClient, type HandsClientEvents, type InviteEnded } from './HandsClient.js';
export { PollsClient, type PollsClientEvents } from './PollsClient.js';
export { ReactionsClient, type ReactionsClientEvents } from './ReactionsClient.js';
export {
  HlsPlayer,
  type HlsPlayerOptions,
  type HlsPlayerEvents,
  type HlsPlayerError,
  type QualityLevel,
} from './HlsPlayer.js';
export { PictureClock, type PictureSource } from './PictureClock.js';
export { SyncedTimeline, type SyncedTimelineEvents, type SyncedTimelineOptions } from './SyncedTimeline.js';
export { CueClient, type CueClientEvents, type CueClientOptions } from './CueClient.js';
export { RestreamClient, type RestreamClientEvents } from './RestreamClient.js';
export { cueOfDateRange, type CueMark, type PlaylistDateRange } from './playlistCues.js';
export { DvrControl, type DvrControlEvents, type DvrState, type SeekableRange } from './DvrControl.js';
export { StagecastClientError } from './errors.js';
export { REQUEST_TIMEOUT_MS } from './signaling.js';
export type * from '@stagecast/protocol';

import { isErrorCode, type JoinResponse } from '@stagecast/protocol';
import { Room, type ConnectOptions } from './Room.js';
import { StagecastClientError as ClientError } from './errors.js';

/** Connects to a room with a token. */
export function connect(options: ConnectOptions): Promise<Room> {
  return Room.connect(options);
}

/** Turns a role link code into a token (`POST /api/join`). Rejects with StagecastClientError. */
export async function joinWithCode(url: string, code: string, name: string): Promise<JoinResponse> {
  const res = await fetch(new URL('/api/join', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, name }),
  }).catch(() => {
    throw new ClientError({
      code: 'UNAVAILABLE',
      message: 'The server cannot be reached; check the link and your connection',
    });
  });
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code?: unknown; message?: string; retryAfterMs?: unknown };
  };
  if (!res.ok) {
    const code = isErrorCode(body.error?.code) ? body.error.code : 'INTERNAL';
    const message = body.error?.message ?? `HTTP ${res.status}`;
    const retryAfterMs = body.error?.retryAfterMs;
    // RATE_LIMITED carries when a retry can succeed.
    throw new ClientError(
      typeof retryAfterMs === 'number' ? { code, message, retryAfterMs } : { code, message },
    );
  }
  return body as unknown as JoinResponse;
}
