import type { AckResult } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import { toStagecastError } from '../core/errors.js';
import type { StagecastSocket } from '../core/io.js';
import type { RequestHandler } from '../core/requests.js';

/**
 * Registers a request on the connection and always acks with an `AckResult`. Nothing the
 * handler throws crosses the wire or crashes the process.
 */
export function handle(socket: StagecastSocket, logger: Logger, handler: RequestHandler): void {
  const { event } = handler;
  const listener = async (payload: unknown, ack: unknown): Promise<void> => {
    // A request without an ack function cannot be answered; ignore it.
    if (typeof ack !== 'function') return;
    const reply = ack as (result: AckResult<unknown>) => void;
    try {
      const data = await handler.run(payload);
      reply({ ok: true, data });
    } catch (error) {
      const wire = toStagecastError(error);
      // Refusals are answers; an outage is logged by the Redis connections themselves.
      if (wire.code === 'INTERNAL') logger.error({ err: error, event }, 'request failed');
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
