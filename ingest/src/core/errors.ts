import { StagecastError, type ErrorCode } from '@stagecast/protocol';
import { isRedisUnreachable, redisUnavailable } from './redisConnections.js';

export { StagecastError };

export const badRequest = (message: string): StagecastError => new StagecastError('BAD_REQUEST', message);
export const forbidden = (message: string): StagecastError => new StagecastError('FORBIDDEN', message);
export const notFound = (message: string, code: ErrorCode = 'NOT_FOUND'): StagecastError =>
  new StagecastError(code, message);

/**
 * Turns anything thrown into a StagecastError: Redis out of reach is UNAVAILABLE (try again),
 * other unknown errors become INTERNAL without details.
 */
export function toStagecastError(error: unknown): StagecastError {
  if (error instanceof StagecastError) return error;
  if (isRedisUnreachable(error)) return redisUnavailable();
  return new StagecastError('INTERNAL', 'Internal error; the server log has details');
}
