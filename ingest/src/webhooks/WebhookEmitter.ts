import type { WebhookEventData, WebhookEventType } from '@stagecast/protocol';

/**
 * Where features report what happened, for webhook endpoints to hear. `emit` only enqueues,
 * and never throws nor waits: a slow, refusing or unreachable endpoint (or Redis away) must
 * never delay or fail the request that caused the event.
 */
export interface WebhookEmitter {
  emit<T extends WebhookEventType>(type: T, data: WebhookEventData[T]): void;
}

/** For processes and tests that send no webhooks. */
export const noWebhooks: WebhookEmitter = { emit: () => undefined };
