import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  checkedLookup,
  refusedWebhookTarget,
  WebhookTargetRefusedError,
  type IngestSelf,
} from './webhookTarget.js';

/**
 * POSTs `body` to a webhook URL and answers the status, within `timeoutMs` (until the answer's
 * headers). The connection goes only to an address checked by the webhook target rule (see
 * {@link checkedLookup}); a refused target throws {@link WebhookTargetRefusedError} before any
 * byte is sent. Redirects are not followed: the signed request goes only where the endpoint
 * was registered. TLS keeps the URL's name for SNI and the certificate check, and `Host` is
 * the name as written.
 */
export async function postWebhook(
  url: URL,
  headers: OutgoingHttpHeaders,
  body: string,
  self: IngestSelf,
  timeoutMs: number,
): Promise<number> {
  // Sockets do not resolve IP literals, so those (and names refused as written) are checked here.
  const refused = refusedWebhookTarget(url, self);
  if (refused !== null) throw new WebhookTargetRefusedError(`must not point at ${refused}`);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: checkedLookup(url, self),
        // A fresh connection per delivery: each one is checked, none outlives its attempt.
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        // The answer's body is not read: it could be endless.
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
