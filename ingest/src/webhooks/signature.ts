import { createHmac, randomBytes } from 'node:crypto';

/** Random bytes in a secret: Standard Webhooks asks for 24 to 64. */
const SECRET_BYTES = 32;
const PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` and the base64 of the key. */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * The `webhook-signature` header of Standard Webhooks: `v1,` and the base64 HMAC-SHA256, keyed
 * with the secret's decoded bytes, of `<id>.<timestamp>.<body>`.
 */
export function signWebhook(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header for a message signed with each of `secrets` (the current one
 * first): Standard Webhooks lists several signatures separated by spaces, and a receiver accepts
 * the message if any one verifies with its secret. That is how a rotated secret overlaps.
 */
export function webhookSignatureHeader(
  secrets: readonly string[],
  messageId: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((secret) => signWebhook(secret, messageId, timestampSeconds, body)).join(' ');
}

/**
 * The secrets that sign a message now: the endpoint's secret, and the one it replaced while
 * that one's grace lasts.
 */
export function signingSecrets(
  endpoint: {
    secret: string;
    previousSecret?: string | undefined;
    previousSecretExpiresAt?: string | undefined;
  },
  nowMs: number,
): string[] {
  const { secret, previousSecret, previousSecretExpiresAt } = endpoint;
  const graceLasts = previousSecretExpiresAt !== undefined && Date.parse(previousSecretExpiresAt) > nowMs;
  return previousSecret && graceLasts ? [secret, previousSecret] : [secret];
}
