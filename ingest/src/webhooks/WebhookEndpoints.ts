import { randomBytes } from 'node:crypto';
import {
  StagecastError,
  WEBHOOK_EVENTS,
  type WebhookDelivery,
  type WebhookEndpointInfo,
  type WebhookEndpointWithSecret,
  type WebhookEventType,
} from '@stagecast/protocol';
import { webhookUrlSchema } from '@stagecast/protocol/schemas';
import { isEntityId } from '../core/ids.js';
import { generateWebhookSecret } from './signature.js';
import type { WebhookStore } from './WebhookStore.js';

/**
 * Endpoints a server may have: each event costs a Redis read of all of them and a job per
 * subscriber, so their number is bounded.
 */
export const MAX_WEBHOOK_ENDPOINTS = 50;

/** Registering, listing, rotating and removing webhook endpoints (the REST API's side). */
export class WebhookEndpoints {
  constructor(private readonly store: WebhookStore) {}

  /** `events` as the request named them: names are checked here, for their own error code. */
  async create({
    url,
    events,
  }: {
    url: string;
    events?: string[] | undefined;
  }): Promise<WebhookEndpointWithSecret> {
    if (!webhookUrlSchema.safeParse(url).success)
      throw new StagecastError('WEBHOOK_URL_INVALID', 'url: must be an absolute http(s) URL');
    const unknown = (events ?? []).filter((e) => !isWebhookEvent(e));
    if (unknown.length > 0)
      throw new StagecastError(
        'WEBHOOK_EVENT_UNKNOWN',
        `events: unknown event ${unknown.map((e) => JSON.stringify(e)).join(', ')}; known: ${WEBHOOK_EVENTS.join(', ')}`,
      );
    if ((await this.store.count()) >= MAX_WEBHOOK_ENDPOINTS)
      throw new StagecastError(
        'LIMIT_REACHED',
        `At most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first`,
      );
    const endpoint: WebhookEndpointWithSecret = {
      id: `wh_${randomBytes(12).toString('base64url')}`,
      url,
      events: events ? [...new Set(events.filter(isWebhookEvent))] : [...WEBHOOK_EVENTS],
      secret: generateWebhookSecret(),
      createdAt: new Date().toISOString(),
    };
    await this.store.create(endpoint);
    return endpoint;
  }

  async list(): Promise<WebhookEndpointInfo[]> {
    return (await this.store.list()).map(withoutSecret);
  }

  /** A new secret; messages still waiting for a retry are signed with it. */
  async rotateSecret(id: string | undefined): Promise<WebhookEndpointWithSecret> {
    const endpoint = await this.require(id);
    const rotated = { ...endpoint, secret: generateWebhookSecret() };
    if (!(await this.store.replace(rotated))) throw notFound();
    return rotated;
  }

  async delete(id: string | undefined): Promise<void> {
    if (!isEntityId(id) || !(await this.store.delete(id))) throw notFound();
  }

  async deliveries(id: string | undefined): Promise<WebhookDelivery[]> {
    const endpoint = await this.require(id);
    return this.store.deliveries(endpoint.id);
  }

  private async require(id: string | undefined): Promise<WebhookEndpointWithSecret> {
    const endpoint = isEntityId(id) ? await this.store.get(id) : null;
    if (!endpoint) throw notFound();
    return endpoint;
  }
}

const isWebhookEvent = (name: string): name is WebhookEventType =>
  (WEBHOOK_EVENTS as readonly string[]).includes(name);

function withoutSecret({ id, url, events, createdAt }: WebhookEndpointWithSecret): WebhookEndpointInfo {
  return { id, url, events, createdAt };
}

const notFound = () => new StagecastError('NOT_FOUND', 'No webhook endpoint with that id');
