import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import {
  WEBHOOK_QUEUE,
  type WebhookEventData,
  type WebhookEventType,
  type WebhookJobData,
  type WebhookPayload,
} from '@stagecast/protocol';
import type { Logger } from '../core/logger.js';
import type { WebhookSettings } from '../core/config.js';
import { requestOptions } from '../core/redisConnections.js';
import type { WebhookEmitter } from './WebhookEmitter.js';
import type { WebhookStore } from './WebhookStore.js';

/** A job per message and endpoint; finished ones are kept a while for inspection, then go. */
const KEEP_JOBS = { age: 24 * 3600, count: 1000 };

/**
 * Turns events into delivery jobs: one per subscribed endpoint, all with the same message id
 * and body. Emitting is fire-and-forget (see {@link WebhookEmitter}).
 */
export class WebhookService implements WebhookEmitter {
  private readonly queue: Queue<WebhookJobData>;

  constructor(
    private readonly store: WebhookStore,
    private readonly settings: WebhookSettings,
    options: { redisUrl: string; redisTimeoutMs: number },
    private readonly logger: Logger,
  ) {
    // Fails fast while Redis is away instead of queueing events in memory without bound.
    this.queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, {
      connection: { url: options.redisUrl, ...requestOptions(options.redisTimeoutMs) },
    });
    this.queue.on('error', (error) => logger.warn({ err: error }, 'webhook queue error'));
  }

  emit<T extends WebhookEventType>(type: T, data: WebhookEventData[T]): void {
    const payload: WebhookPayload<T> = { type, timestamp: new Date().toISOString(), data };
    void this.enqueue(payload).catch((error: unknown) =>
      this.logger.warn({ err: error, event: type }, 'a webhook event could not be queued; it is lost'),
    );
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => this.queue.disconnect());
  }

  private async enqueue(payload: WebhookPayload): Promise<void> {
    const endpoints = (await this.store.list()).filter((e) => e.events.includes(payload.type));
    if (endpoints.length === 0) return;
    const messageId = `msg_${randomBytes(16).toString('base64url')}`;
    const body = JSON.stringify(payload);
    await this.queue.addBulk(
      endpoints.map((endpoint) => ({
        name: payload.type,
        data: { endpointId: endpoint.id, messageId, type: payload.type, body },
        opts: {
          // One job per message and endpoint, even if this enqueue itself were repeated.
          jobId: `${messageId}.${endpoint.id}`,
          attempts: this.settings.attempts,
          backoff: { type: 'exponential', delay: this.settings.retryBaseMs },
          removeOnComplete: KEEP_JOBS,
          removeOnFail: KEEP_JOBS,
        },
      })),
    );
  }
}
