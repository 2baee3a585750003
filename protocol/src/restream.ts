/**
 * Restreaming: a room's broadcast pushed to RTMP(S) destinations (YouTube, Twitch, LinkedIn…).
 * Ingest owns the destinations (stored in Redis with their stream keys); the transcoder reads
 * them, pushes the top rung to each, and reports every destination's status back.
 */

/** At most this many destinations per room (each one is an FFmpeg and an upload). */
export const MAX_RESTREAMS = 5;

export const RESTREAM_LIMITS = {
  labelMax: 64,
  urlMax: 512,
  keyMax: 256,
} as const;

/**
 * `idle`: no broadcast is live. `connecting`: FFmpeg is starting or connecting, nothing has
 * been accepted yet. `live`: the destination is taking data (FFmpeg's output bytes grow).
 * `failed`: the last attempt failed (`reason`); it is retried with backoff while live.
 */
export const RESTREAM_STATES = ['idle', 'connecting', 'live', 'failed'] as const;
export type RestreamState = (typeof RESTREAM_STATES)[number];

/** What a host sends to add a destination. */
export interface RestreamInput {
  /** For people, e.g. "YouTube". */
  label: string;
  /** The service's ingest URL, `rtmp://` or `rtmps://`, without the key. */
  url: string;
  /** The stream key: a secret, never returned after creation. */
  streamKey: string;
}

/** A destination as hosts and the REST API see it: the key is masked. */
export interface RestreamDestination {
  id: string;
  label: string;
  url: string;
  /** e.g. `••••abcd`. */
  streamKeyMasked: string;
  /** ISO time. */
  createdAt: string;
  state: RestreamState;
  /** Why the last attempt failed (stream key masked), for `failed`. */
  reason?: string;
  /** ms since the epoch: when the destination entered its state (absent for `idle`). */
  since?: number;
}

/** A destination as stored in Redis (ingest writes it, the transcoder reads it). */
export interface StoredRestream {
  id: string;
  label: string;
  url: string;
  streamKey: string;
  createdAt: string;
}

/** One destination's status, as the transcoder reports it for a broadcast. */
export interface RestreamStatus {
  id: string;
  broadcastId: string;
  state: Exclude<RestreamState, 'idle'>;
  reason?: string;
  since: number;
}

/** Redis hash of a room's destinations: field = destination id, value = JSON `StoredRestream`. */
export function restreamsKey(roomId: string): string {
  return `stagecast:room:${roomId}:restreams`;
}

/** Redis hash of the live broadcast's destination statuses: field = id, value = JSON `RestreamStatus`. */
export function restreamStatusKey(roomId: string): string {
  return `stagecast:room:${roomId}:restream-status`;
}

/** The masked form of a stream key: its last four characters only when it is long enough to spare them. */
export function maskStreamKey(key: string): string {
  return key.length >= 12 ? `••••${key.slice(-4)}` : '••••';
}

/** The address FFmpeg publishes to: the ingest URL and the key as its last path segment. */
export function restreamTarget(url: string, streamKey: string): string {
  return `${url.replace(/\/+$/, '')}/${streamKey}`;
}

/**
 * Whether a URL is an RTMP(S) ingest URL we publish to: `rtmp:` or `rtmps:`, a host, no
 * credentials (they would be a second secret in plain sight).
 */
export function isRestreamUrl(raw: string): boolean {
  if (raw.length > RESTREAM_LIMITS.urlMax || /[\s\p{Cc}]/u.test(raw)) return false;
  try {
    const url = new URL(raw);
    return (
      (url.protocol === 'rtmp:' || url.protocol === 'rtmps:') &&
      url.hostname !== '' &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
}
