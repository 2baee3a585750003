import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs; children carry context such as `room` and `session`. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'transcoder', level });
}
