import type { IngestContext } from '../core/context.js';
import type { Router } from '../http/router.js';
import { IngressPeers } from './IngressPeers.js';
import { WhipService } from './whip/WhipService.js';
import { registerWhipRoutes } from './whip/whipRoutes.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import { RtmpIngest, type RtmpIngestSettings } from './rtmp/RtmpIngest.js';
import { registerRtmpRoutes } from './rtmp/rtmpRoutes.js';

export interface IngressSettings {
  maxStage: number;
  rtmp: RtmpIngestSettings;
  /** See `STAGECAST_TRUST_PROXY`. */
  trustProxy: number;
}

/** Publishers that join the stage without the apps: WHIP (and RTMP ingest). */
export class Ingress {
  readonly peers: IngressPeers;
  private readonly whip: WhipService;
  private readonly rtmp: RtmpIngest;

  constructor(
    private readonly ctx: IngestContext,
    private readonly settings: IngressSettings,
    onPresenceChange: (roomId: string) => void,
  ) {
    this.peers = new IngressPeers(ctx, settings.maxStage, onPresenceChange);
    this.whip = new WhipService(ctx, this.peers);
    this.rtmp = new RtmpIngest(ctx, this.peers, settings.rtmp);
  }

  registerRoutes(router: Router, access: ApiAccess): void {
    registerWhipRoutes(router, this.whip, this.ctx.limits, this.settings.trustProxy);
    registerRtmpRoutes(router, access, this.rtmp);
  }

  /** Starts the RTMP front (when configured) once the HTTP server at `httpBase` listens. */
  async start(httpBase: string): Promise<void> {
    await this.rtmp.start(httpBase);
  }

  async close(): Promise<void> {
    await this.whip.close();
    await this.rtmp.close();
  }
}
