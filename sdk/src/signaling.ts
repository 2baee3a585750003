import type { Socket } from 'socket.io-client';
import type { AckResult, ClientToServerEvents, ServerToClientEvents } from '@stagecast/protocol';
import { StagecastClientError } from './errors.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ClientToServerEvents;
export type RequestPayload<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];
export type ResponseData<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (
  result: AckResult<infer R>,
) => void
  ? R
  : never;

/** How long a request may wait for its acknowledgement. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Sends a request and resolves with its data, or rejects with StagecastClientError
 * (`UNAVAILABLE` on timeout or when disconnected).
 */
export function request<E extends EventName>(
  socket: ClientSocket,
  event: E,
  payload: RequestPayload<E>,
): Promise<ResponseData<E>> {
  return new Promise((resolve, reject) => {
    if (!socket.connected) {
      reject(new StagecastClientError({ code: 'UNAVAILABLE', message: 'Not connected; retrying shortly' }));
      return;
    }
    // Socket.IO's typed emit cannot express a generic event name; the shapes are checked above.
    const timed = socket.timeout(REQUEST_TIMEOUT_MS) as unknown as {
      emit(
        event: string,
        payload: unknown,
        ack: (err: Error | null, result: AckResult<ResponseData<E>>) => void,
      ): void;
    };
    timed.emit(event, payload, (err, result) => {
      if (err) reject(new StagecastClientError({ code: 'UNAVAILABLE', message: `No answer to ${event}` }));
      else if (result.ok) resolve(result.data);
      else reject(new StagecastClientError(result.error));
    });
  });
}
