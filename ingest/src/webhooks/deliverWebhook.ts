import { UnrecoverableError, type Job } from 'bullmq';
import type { WebhookDelivery, WebhookJobData } from '@stagecast/protocol';
import { webhookJobSchema } from '@stagecast/protocol/schemas';
import type { Logger } from '../core/logger.js';
import { signingSecrets, webhookSignatureHeader } from './signature.js';
import type { WebhookStore } from './WebhookStore.js';
import { postWebhook } from './postWebhook.js';
import { WebhookTargetRefusedError, type IngestSelf } from './webhookTarget.js';

/** How long one attempt may take before it counts as failed (and is retried). */
export const WEBHOOK_TIMEOUT_MS = 5000;

/**
 * One delivery attempt: signs the message with the endpoint's current secret (and the previous
 * one during a rotation's grace), POSTs it (see {@link postWebhook}), logs the attempt. Any
 * answer but 2xx throws, so that BullMQ retries with backoff; so does a target refused when
 * connecting (`self`: this server), within the same attempts: a name's answer may change back.
 */
export async function deliverWebhook(
  job: Job<WebhookJobData>,
  store: WebhookStore,
  logger: Logger,
  self: IngestSelf,
): Promise<void> {
  const parsed = webhookJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError('malformed webhook job');
  const { endpointId, messageId, type, body } = parsed.data;
  const endpoint = await store.get(endpointId);
  // Deleted meanwhile: nobody wants this message any more.
  if (!endpoint) throw new UnrecoverableError('the webhook endpoint was deleted');
  const attempt = job.attemptsMade + 1;
  const started = Date.now();
  const timestamp = Math.floor(started / 1000);
  let status: number | null = null;
  let error: string | undefined;
  let code: WebhookDelivery['code'];
  try {
    status = await postWebhook(
      new URL(endpoint.url),
      {
        'content-type': 'application/json',
        'user-agent': 'Stagecast-Webhooks/1',
        'webhook-id': messageId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignatureHeader(
          signingSecrets(endpoint, started),
          messageId,
          timestamp,
          body,
        ),
      },
      body,
      self,
      WEBHOOK_TIMEOUT_MS,
    );
  } catch (thrown) {
    error = describe(thrown);
    if (thrown instanceof WebhookTargetRefusedError) code = thrown.code;
  }
  const ok = status !== null && status >= 200 && status < 300;
  const delivery: WebhookDelivery = {
    messageId,
    type,
    attempt,
    status,
    ...(error === undefined ? {} : { error }),
    ...(code === undefined ? {} : { code }),
    ok,
    durationMs: Date.now() - started,
    at: new Date(started).toISOString(),
  };
  await store
    .logDelivery(endpointId, delivery)
    .catch((e: unknown) =>
      logger.warn({ err: e, webhook: endpointId }, 'the delivery log could not be written'),
    );
  if (!ok) {
    // The URL is the host's own setting; the secret is never logged.
    logger.info({ webhook: endpointId, messageId, attempt, status, error }, 'webhook delivery failed');
    throw new Error(error ?? `HTTP ${status}`);
  }
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error && (thrown.name === 'TimeoutError' || thrown.name === 'AbortError'))
    return `timed out after ${WEBHOOK_TIMEOUT_MS} ms`;
  if (thrown instanceof Error) return thrown.message.slice(0, 200);
  return 'request failed';
}
