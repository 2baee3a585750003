import { io } from 'socket.io-client';
import type { ConnectErrorData, WireError } from '@stagecast/protocol';
import { StagecastClientError } from './errors.js';
import type { ClientSocket } from './signaling.js';

export interface ConnectOptions {
  /** Base URL of the ingest server, e.g. `https://live.example.com`. */
  url: string;
  /** A room token (from `POST /api/join` or `POST /api/rooms/:id/tokens`). */
  token: string;
  /** The room to join; a token for another room is then refused with WRONG_ROOM. */
  roomId?: string;
  /** Reconnect automatically after a network loss. Default true. */
  reconnect?: boolean;
}

/** Opens a connection and waits until the server admits it; rejects with its refusal. */
export async function openSocket(options: ConnectOptions): Promise<ClientSocket> {
  const socket: ClientSocket = io(options.url, {
    auth: options.roomId ? { token: options.token, roomId: options.roomId } : { token: options.token },
    transports: ['websocket'],
    reconnection: options.reconnect ?? true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err: Error & { data?: ConnectErrorData }) => {
        reject(connectError(err));
      });
    });
    return socket;
  } catch (error) {
    socket.disconnect();
    throw error;
  }
}

/** The StagecastClientError of a refused connection, with the server's code and wait. */
export function connectError(err: Error & { data?: ConnectErrorData }): StagecastClientError {
  const { code = 'UNAVAILABLE', retryAfterMs, ownerUrl } = err.data ?? {};
  const wire: WireError = { code, message: err.message };
  if (retryAfterMs !== undefined) wire.retryAfterMs = retryAfterMs;
  if (ownerUrl !== undefined) wire.ownerUrl = ownerUrl;
  return new StagecastClientError(wire);
}

/**
 * Where a MEDIA_ELSEWHERE refusal sends the client: its `ownerUrl` if that is an http(s) URL
 * of another server than `currentUrl`, else undefined (the refusal stands). The URL comes
 * from the server, but the token goes wherever it points, so nothing else is followed.
 */
export function elsewhereUrl(error: unknown, currentUrl: string): string | undefined {
  if (!(error instanceof StagecastClientError) || error.code !== 'MEDIA_ELSEWHERE') return undefined;
  const { ownerUrl } = error;
  if (ownerUrl === undefined || ownerUrl === currentUrl) return undefined;
  try {
    const { protocol } = new URL(ownerUrl);
    return protocol === 'http:' || protocol === 'https:' ? ownerUrl : undefined;
  } catch {
    return undefined;
  }
}

/** The server's wait plus up to a second of jitter, so that a crowd does not return at once. */
export function retryDelay(retryAfterMs: number | undefined): number {
  return (retryAfterMs ?? 1000) + Math.floor(Math.random() * 1000);
}

/** Refusals that a later retry can overcome: a rate limit, or a server that cannot serve now. */
export function isTemporary(error: StagecastClientError): boolean {
  return error.code === 'RATE_LIMITED' || error.code === 'UNAVAILABLE';
}
