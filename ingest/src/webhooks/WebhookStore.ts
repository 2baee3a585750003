import type { Redis } from 'ioredis';
import type { WebhookDelivery, StoredWebhookEndpoint } from '@stagecast/protocol';
import { webhookDeliverySchema, webhookEndpointSchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { readRecord } from '../core/validation.js';

/** Entries kept in each endpoint's delivery log. */
export const DELIVERY_LOG_SIZE = 100;

const ids = 'stagecast:webhooks';
const endpointKey = (id: string) => `stagecast:webhook:${id}`;
const deliveriesKey = (id: string) => `stagecast:webhook:${id}:deliveries`;

/**
 * Webhook endpoints (with their secrets: signing needs them) and each one's delivery log, in
 * Redis so that every ingest process delivers for every endpoint.
 */
export class WebhookStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async count(): Promise<number> {
    return this.redis.scard(ids);
  }

  async create(endpoint: StoredWebhookEndpoint): Promise<void> {
    await this.redis
      .multi()
      .set(endpointKey(endpoint.id), JSON.stringify(endpoint))
      .sadd(ids, endpoint.id)
      .exec();
  }

  async get(id: string): Promise<StoredWebhookEndpoint | null> {
    return this.parse(id, await this.redis.get(endpointKey(id)));
  }

  async list(): Promise<StoredWebhookEndpoint[]> {
    const all = await this.redis.smembers(ids);
    if (all.length === 0) return [];
    const raw = await this.redis.mget(all.map(endpointKey));
    return all
      .map((id, i) => this.parse(id, raw[i]))
      .filter((e) => e !== null)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Replaces the secret of an endpoint that still exists (XX: a deleted one stays deleted). */
  async replace(endpoint: StoredWebhookEndpoint): Promise<boolean> {
    return (await this.redis.set(endpointKey(endpoint.id), JSON.stringify(endpoint), 'XX')) === 'OK';
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.redis.multi().del(endpointKey(id), deliveriesKey(id)).srem(ids, id).exec();
    return result?.[1]?.[1] === 1;
  }

  /** Newest first; the log keeps the last {@link DELIVERY_LOG_SIZE} attempts. */
  async logDelivery(id: string, delivery: WebhookDelivery): Promise<void> {
    await this.redis
      .multi()
      .lpush(deliveriesKey(id), JSON.stringify(delivery))
      .ltrim(deliveriesKey(id), 0, DELIVERY_LOG_SIZE - 1)
      .exec();
  }

  async deliveries(id: string): Promise<WebhookDelivery[]> {
    const raw = await this.redis.lrange(deliveriesKey(id), 0, DELIVERY_LOG_SIZE - 1);
    return raw
      .map((r) => readRecord(webhookDeliverySchema, r, this.logger, 'webhook delivery', { webhook: id }))
      .filter((d) => d !== null);
  }

  private parse(id: string, raw: string | null | undefined): StoredWebhookEndpoint | null {
    return readRecord(webhookEndpointSchema, raw, this.logger, 'webhook endpoint', { webhook: id });
  }
}
