import { createWebhookSchema, rotateWebhookSecretSchema } from '@stagecast/protocol/schemas';
import type { WebhookDeliveriesResponse, WebhookListResponse } from '@stagecast/protocol';
import { parse } from '../core/validation.js';
import { readJson, sendJson, type Router } from '../http/router.js';
import type { ApiAccess } from '../rooms/ApiAccess.js';
import type { WebhookEndpoints } from './WebhookEndpoints.js';

/**
 * `POST /api/webhooks` (201, with the secret), `GET /api/webhooks` (no secrets),
 * `DELETE /api/webhooks/:id`, `POST /api/webhooks/:id/secret` `{ graceSeconds? }` (rotate; the
 * new secret once, the old one signing beside it for the grace),
 * `GET /api/webhooks/:id/deliveries` (the last 100 attempts). All with the API secret.
 */
export function registerWebhookRoutes(router: Router, access: ApiAccess, endpoints: WebhookEndpoints): void {
  router.add('POST', '/api/webhooks', async (rc) => {
    await access.requireSecret(rc);
    const request = parse(createWebhookSchema, await readJson(rc.req));
    sendJson(rc.res, 201, await endpoints.create(request));
  });
  router.add('GET', '/api/webhooks', async (rc) => {
    await access.requireSecret(rc);
    const body: WebhookListResponse = { webhooks: await endpoints.list() };
    sendJson(rc.res, 200, body);
  });
  router.add('DELETE', '/api/webhooks/:id', async (rc) => {
    await access.requireSecret(rc);
    await endpoints.delete(rc.params.id);
    rc.res.writeHead(204).end();
  });
  router.add('POST', '/api/webhooks/:id/secret', async (rc) => {
    await access.requireSecret(rc);
    const { graceSeconds } = parse(rotateWebhookSecretSchema, await readJson(rc.req));
    sendJson(rc.res, 200, await endpoints.rotateSecret(rc.params.id, graceSeconds));
  });
  router.add('GET', '/api/webhooks/:id/deliveries', async (rc) => {
    await access.requireSecret(rc);
    const body: WebhookDeliveriesResponse = { deliveries: await endpoints.deliveries(rc.params.id) };
    sendJson(rc.res, 200, body);
  });
}
