import { Worker, type Job } from 'bullmq';
import { WEBHOOK_QUEUE, type WebhookJobData } from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import type { WebhookSettings } from '../core/config.js';
import { notificationOptions } from '../core/redisConnections.js';
import { deliverWebhook } from './deliverWebhook.js';
import type { WebhookStore } from './WebhookStore.js';
import type { IngestSelf } from './webhookTarget.js';

/**
 * Delivers webhook jobs from this ingest process, at most `concurrency` at once. Every ingest
 * process runs one; BullMQ gives each job to one of them at a time (at least once: a job of a
 * process that died is taken up again once its lock expires).
 */
export class WebhookWorker {
  private readonly worker: Worker<WebhookJobData>;

  constructor(
    store: WebhookStore,
    settings: WebhookSettings,
    redisUrl: string,
    logger: Logger,
    /** This server, which no delivery may reach. */
    self: IngestSelf,
  ) {
    // Blocking commands wait for Redis; the worker picks up again once it is back.
    const deliver = (job: Job<WebhookJobData>) => deliverWebhook(job, store, logger, self);
    this.worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, deliver, {
      connection: { url: redisUrl, ...notificationOptions() },
      concurrency: settings.concurrency,
    });
    this.worker.on('error', (error) => logger.warn({ err: error }, 'webhook worker error'));
  }

  async close(): Promise<void> {
    await this.worker.close().catch(() => this.worker.disconnect());
  }
}
