import { timingSafeEqual } from 'node:crypto';
import { StagecastError } from '@stagecast/protocol';
import type { RoomRecord, RoomStore } from './RoomStore.js';
import type { RequestContext } from '../http/router.js';
import { clientIp, type RateLimits } from '../core/RateLimits.js';
import { isEntityId } from '../core/ids.js';

/** The checks every management route starts with: the API secret, then the room. */
export class ApiAccess {
  private readonly secret: Buffer;

  constructor(
    apiSecret: string,
    private readonly store: RoomStore,
    private readonly limits: RateLimits,
    /** See `STAGECAST_TRUST_PROXY`. */
    private readonly trustProxy: number,
  ) {
    this.secret = Buffer.from(apiSecret);
  }

  /**
   * Checks `Authorization: Bearer <secret>` in constant time. Wrong secrets are counted per
   * IP; an address over the limit is refused with RATE_LIMITED until its window passes.
   */
  async requireSecret({ req }: RequestContext): Promise<void> {
    const ip = clientIp(req, this.trustProxy);
    await this.limits.checkSecretFailures(ip);
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== this.secret.length || !timingSafeEqual(given, this.secret)) {
      await this.limits.recordSecretFailure(ip);
      throw new StagecastError(
        'UNAUTHORIZED',
        'Send the API secret as "Authorization: Bearer <STAGECAST_API_SECRET>"',
      );
    }
  }

  async requireRoom(id: string | undefined): Promise<RoomRecord> {
    const record = isEntityId(id) ? await this.store.get(id) : null;
    if (!record) throw new StagecastError('ROOM_NOT_FOUND', 'No room with that id');
    return record;
  }
}
