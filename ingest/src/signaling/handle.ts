import type { z } from 'zod';
import type { AckResult, ClientToServerEvents } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { toStagecastError, StagecastError } from '../core/errors.js';
import { parse } from '../core/validation.js';
import type { StagecastSocket } from '../core/io.js';

type EventName = keyof ClientToServerEvents;
/** The `data` type of an event's successful ack. */
export type AckData<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (
  result: AckResult<infer R>,
) => void
  ? R
  : never;

/**
 * Registers a request handler: validates the payload, runs `fn`, and always acks with an
 * `AckResult`. Nothing thrown by `fn` crosses the wire or crashes the process.
 */
export function handle<E extends EventName, S extends z.ZodType>(
  socket: StagecastSocket,
  logger: Logger,
  event: E,
  schema: S,
  fn: (payload: z.infer<S>) => Promise<AckData<E>> | AckData<E>,
): void {
  const listener = async (payload: unknown, ack: unknown): Promise<void> => {
    // A request without an ack function cannot be answered; ignore it.
    if (typeof ack !== 'function') return;
    const reply = ack as (result: AckResult<AckData<E>>) => void;
    try {
      const data = await fn(parse(schema, payload));
      reply({ ok: true, data });
    } catch (error) {
      const wire = toStagecastError(error);
      if (!(error instanceof StagecastError)) logger.error({ err: error, event }, 'request failed');
      reply({ ok: false, error: wire.toWire() });
    }
  };
  (socket.on as (event: string, listener: (payload: unknown, ack: unknown) => void) => void)(
    event,
    (payload, ack) => {
      void listener(payload, ack);
    },
  );
}
