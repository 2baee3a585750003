import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs in production; the level comes from the configuration. Children carry context such as `room`. */
export function createLogger(level = 'info', name = 'ingest'): Logger {
  return pino({ name, level });
}
