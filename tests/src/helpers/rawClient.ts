import { io, type Socket } from 'socket.io-client';
import type {
  AckResult,
  ClientToServerEvents,
  JoinSnapshot,
  ServerToClientEvents,
} from '@stagecast/protocol';

type ServerEvent = keyof ServerToClientEvents;

/**
 * A bare Socket.IO client speaking the protocol without the SDK: it can send payloads the SDK's
 * types would refuse, which is what validation tests need.
 */
export class RawClient {
  private constructor(
    readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>,
    readonly snapshot: JoinSnapshot,
  ) {}

  /** `headers` go with the handshake (Node only), e.g. `X-Forwarded-For` behind a trusted proxy. */
  static async connect(
    url: string,
    token: string,
    roomId: string,
    headers: Record<string, string> = {},
  ): Promise<RawClient> {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      auth: { token, roomId },
      transports: ['websocket'],
      extraHeaders: headers,
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const joined = await request(socket, 'room:join', {});
    if (!joined.ok) throw new Error(`room:join refused: ${joined.error.code}`);
    return new RawClient(socket, joined.data as JoinSnapshot);
  }

  /** Sends any payload to any request; resolves with the server's AckResult. */
  request(event: keyof ClientToServerEvents, payload: unknown): Promise<AckResult<unknown>> {
    return request(this.socket, event, payload);
  }

  /** Every notification of `event` from now on. */
  record<E extends ServerEvent>(event: E): Parameters<ServerToClientEvents[E]>[0][] {
    const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
    (
      this.socket.on as (
        event: string,
        listener: (payload: Parameters<ServerToClientEvents[E]>[0]) => void,
      ) => void
    )(event, (payload) => {
      seen.push(payload);
    });
    return seen;
  }

  close(): void {
    this.socket.close();
  }
}

function request(socket: Socket, event: string, payload: unknown): Promise<AckResult<unknown>> {
  return socket.timeout(10_000).emitWithAck(event, payload) as Promise<AckResult<unknown>>;
}
