import type { Redis } from 'ioredis';
import type { IngestConfig, WebhookSettings } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Router } from '../http/router.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import type { RoomManager } from '../rooms/RoomManager.js';
import { StageWebhooks } from './StageWebhooks.js';
import { WebhookEndpoints } from './WebhookEndpoints.js';
import type { WebhookEmitter } from './WebhookEmitter.js';
import { registerWebhookRoutes } from './webhookRoutes.js';
import { WebhookService } from './WebhookService.js';
import { WebhookStore } from './WebhookStore.js';
import { WebhookWorker } from './WebhookWorker.js';
import type { IngestSelf } from './webhookTarget.js';

/**
 * The webhooks feature of one ingest process: the emitter features report events to, the
 * delivery worker, and the REST routes that manage endpoints.
 */
export class Webhooks {
  private readonly store: WebhookStore;
  private readonly service: WebhookService;
  private readonly worker: WebhookWorker;
  private readonly settings: WebhookSettings;

  constructor(
    redis: Redis,
    config: Pick<IngestConfig, 'webhooks' | 'redisUrl' | 'redisTimeoutMs'>,
    private readonly logger: Logger,
    /** Where this server answers, which no endpoint may point at (nor any delivery reach). */
    private readonly self: IngestSelf,
  ) {
    this.settings = config.webhooks;
    this.store = new WebhookStore(redis, logger);
    this.service = new WebhookService(
      this.store,
      config.webhooks,
      { redisUrl: config.redisUrl, redisTimeoutMs: config.redisTimeoutMs },
      logger,
    );
    this.worker = new WebhookWorker(this.store, config.webhooks, config.redisUrl, logger, self);
  }

  get emitter(): WebhookEmitter {
    return this.service;
  }

  /** `stage.changed` comes from the rooms whose media this process holds. */
  watchStages(rooms: RoomManager): void {
    new StageWebhooks(rooms, this.service);
  }

  registerRoutes(router: Router, access: ApiAccess): void {
    registerWebhookRoutes(
      router,
      access,
      new WebhookEndpoints(this.store, this.settings.rotationGraceSeconds, this.self),
    );
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.service.close();
    this.logger.debug('webhooks closed');
  }
}
