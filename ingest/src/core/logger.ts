import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs in production; levels from LOG_LEVEL. Children carry context such as `room`. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'ingest'): Logger {
  return pino({ name, level });
}
