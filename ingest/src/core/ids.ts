import { z } from 'zod';
import { isSafeId, SAFE_ID } from '@stagecast/protocol';

/**
 * Every id a client names (room, peer, invite) is letters, digits, `_` and `-`. Checking the
 * format before any Redis lookup keeps an id from naming another key of the room
 * (`<room>:presence`), which would otherwise meet a key of another type and fail as INTERNAL.
 */
export const entityId = z.string().regex(SAFE_ID, 'not a valid id');

export const isEntityId = (value: string | undefined): value is string =>
  value !== undefined && isSafeId(value);
