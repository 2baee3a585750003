import type { IngestContext } from '../core/context.js';
import type { Router } from '../http/router.js';
import { IngressPeers } from './IngressPeers.js';
import { WhipService } from './whip/WhipService.js';
import { registerWhipRoutes } from './whip/whipRoutes.js';

export interface IngressSettings {
  maxStage: number;
  /** See `STAGECAST_TRUST_PROXY`. */
  trustProxy: number;
}

/** Publishers that join the stage without the apps: WHIP (and RTMP ingest). */
export class Ingress {
  readonly peers: IngressPeers;
  private readonly whip: WhipService;

  constructor(
    private readonly ctx: IngestContext,
    private readonly settings: IngressSettings,
    onPresenceChange: (roomId: string) => void,
  ) {
    this.peers = new IngressPeers(ctx, settings.maxStage, onPresenceChange);
    this.whip = new WhipService(ctx, this.peers);
  }

  registerRoutes(router: Router): void {
    registerWhipRoutes(router, this.whip, this.ctx.limits, this.settings.trustProxy);
  }

  async close(): Promise<void> {
    await this.whip.close();
  }
}
