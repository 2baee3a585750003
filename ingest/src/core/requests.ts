import type { z } from 'zod';
import type { AckResult, ClientToServerEvents } from '@stagecast/protocol';
import type { PeerSession } from './context.js';
import { parse } from './validation.js';

export type RequestName = keyof ClientToServerEvents;

/** The `data` type of a request's successful ack. */
export type AckData<E extends RequestName> = Parameters<ClientToServerEvents[E]>[1] extends (
  result: AckResult<infer R>,
) => void
  ? R
  : never;

/**
 * One request a feature answers. The transport (signaling) registers it on the connection
 * and turns what `run` resolves or throws into the acknowledgement.
 */
export interface RequestHandler {
  readonly event: RequestName;
  /** Validates the payload (a failure is BAD_REQUEST) and runs the request. */
  readonly run: (payload: unknown) => Promise<unknown>;
}

/** Declares a request: `fn` gets the payload as `schema` parsed it and answers the ack's data. */
export function request<E extends RequestName, S extends z.ZodType>(
  event: E,
  schema: S,
  fn: (payload: z.infer<S>) => Promise<AckData<E>> | AckData<E>,
): RequestHandler {
  return { event, run: async (payload) => fn(parse(schema, payload)) };
}

/** What a feature contributes to one connection. */
export interface SessionHandlers {
  requests: RequestHandler[];
  /** Called once when the connection goes. */
  onDisconnect?: () => void;
}

/** Built for every new connection, with that connection's room and peer. */
export type HandlerGroup = (session: PeerSession) => SessionHandlers;
