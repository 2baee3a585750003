import { randomBytes } from 'node:crypto';
import {
  StagecastError,
  WEBHOOK_EVENTS,
  type WebhookDelivery,
  type WebhookEndpointInfo,
  type StoredWebhookEndpoint,
  type WebhookEndpointWithSecret,
  type WebhookEventType,
} from '@stagecast/protocol';
import { webhookUrlSchema } from '@stagecast/protocol/schemas';
import { isEntityId } from '../core/ids.js';
import { generateWebhookSecret } from './signature.js';
import { resolvedWebhookTarget, type IngestSelf } from './webhookTarget.js';
import type { WebhookStore } from './WebhookStore.js';

/**
 * Endpoints a server may have: each event costs a Redis read of all of them and a job per
 * subscriber, so their number is bounded.
 */
export const MAX_WEBHOOK_ENDPOINTS = 50;

/** Registering, listing, rotating and removing webhook endpoints (the REST API's side). */
export class WebhookEndpoints {
  constructor(
    private readonly store: WebhookStore,
    /** How long a replaced secret keeps signing by default (`STAGECAST_WEBHOOK_ROTATION_GRACE_S`). */
    private readonly rotationGraceSeconds: number,
    /** This server, which no endpoint may point at. */
    private readonly self: IngestSelf,
  ) {}

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
    const refused = await resolvedWebhookTarget(new URL(url), this.self);
    if (refused) throw new StagecastError('WEBHOOK_URL_INVALID', `url: must not point at ${refused}`);
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

  /**
   * A new secret, which signs from now on (messages waiting for a retry too). For
   * `graceSeconds` (default: the server's setting) the replaced secret signs every request as
   * well, so a receiver that has not switched yet still verifies; 0 revokes it at once. A
   * rotation during the grace replaces the older secret: only the last two overlap.
   */
  async rotateSecret(id: string | undefined, graceSeconds?: number): Promise<WebhookEndpointWithSecret> {
    const endpoint = await this.require(id);
    const grace = graceSeconds ?? this.rotationGraceSeconds;
    const { previousSecret: _old, previousSecretExpiresAt: _until, ...rest } = endpoint;
    const rotated: StoredWebhookEndpoint = {
      ...rest,
      secret: generateWebhookSecret(),
      ...(grace > 0
        ? {
            previousSecret: endpoint.secret,
            previousSecretExpiresAt: new Date(Date.now() + grace * 1000).toISOString(),
          }
        : {}),
    };
    if (!(await this.store.replace(rotated))) throw notFound();
    return withSecret(rotated);
  }

  async delete(id: string | undefined): Promise<void> {
    if (!isEntityId(id) || !(await this.store.delete(id))) throw notFound();
  }

  async deliveries(id: string | undefined): Promise<WebhookDelivery[]> {
    const endpoint = await this.require(id);
    return this.store.deliveries(endpoint.id);
  }

  private async require(id: string | undefined): Promise<StoredWebhookEndpoint> {
    const endpoint = isEntityId(id) ? await this.store.get(id) : null;
    if (!endpoint) throw notFound();
    return endpoint;
  }
}

const isWebhookEvent = (name: string): name is WebhookEventType =>
  (WEBHOOK_EVENTS as readonly string[]).includes(name);

/** What the REST API shows: never a secret; the grace's end while a replaced secret signs. */
function withoutSecret({
  id,
  url,
  events,
  createdAt,
  previousSecretExpiresAt,
}: StoredWebhookEndpoint): WebhookEndpointInfo {
  const graceLasts =
    previousSecretExpiresAt !== undefined && Date.parse(previousSecretExpiresAt) > Date.now();
  return { id, url, events, createdAt, ...(graceLasts ? { previousSecretExpiresAt } : {}) };
}

/** The answer of a creation or rotation: the (new) secret, never the replaced one. */
function withSecret(endpoint: StoredWebhookEndpoint): WebhookEndpointWithSecret {
  return { ...withoutSecret(endpoint), secret: endpoint.secret };
}

const notFound = () => new StagecastError('NOT_FOUND', 'No webhook endpoint with that id');
